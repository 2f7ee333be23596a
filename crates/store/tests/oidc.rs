//! The OpenID Provider over the store (migration 0024) on SQLite and
//! PostgreSQL: clients with hashed secrets, the code redeemed once (of many
//! racers one wins; a replay revokes the first tokens), PKCE, rotating
//! refresh tokens (a reuse revokes the family), a disabled user's refresh
//! refused, key rotation with overlap, and the audit record of each answer.

mod harness;

use std::sync::Arc;

use countersign_domain::model::method::Method;
use countersign_domain::model::oidc::SigningAlg;
use countersign_domain::oidc::{
    authorize, ClientSpec, OAuthError, OidcProvider, SignedIn, TokenRequest,
};
use countersign_domain::ports::{AuditStore, UserStore};
use countersign_domain::{AuditQuery, FixedClock, SecretKey, User};
use countersign_store::SqlStore;
use harness::{postgres, sqlite};

macro_rules! on_both {
    ($($name:ident),* $(,)?) => {
        mod sqlite_store { $( #[tokio::test] async fn $name() { let (s, _g) = super::sqlite().await; super::$name(s).await; } )* }
        mod postgres_store { $( #[tokio::test] async fn $name() { let (s, _g) = super::postgres().await; super::$name(s).await; } )* }
    };
}

on_both!(
    a_code_is_exchanged_once_and_a_replay_revokes_its_tokens,
    pkce_and_client_checks_refuse_with_the_right_error,
    refresh_tokens_rotate_and_a_reuse_revokes_the_family,
    a_disabled_users_refresh_token_is_refused,
    keys_rotate_with_overlap,
);

const NOW: i64 = 1_700_000_000;
const REDIRECT: &str = "https://app.example.org/cb";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

struct Setup {
    provider: OidcProvider,
    store: SqlStore,
    clock: Arc<FixedClock>,
    user: User,
    secret: String,
}

async fn setup(store: SqlStore, refresh: Option<i64>) -> Setup {
    let clock = Arc::new(FixedClock::new(NOW));
    let (key, _) = SecretKey::generate();
    let provider = OidcProvider::new(
        Arc::new(store.clone()),
        clock.clone(),
        key,
        "https://mfa.example.org",
    );
    let mut user = User::blank("usr_alice".into(), "alice".into(), NOW);
    user.email = Some("alice@example.org".into());
    store.insert_user(&user).await.expect("user");
    let spec = ClientSpec {
        name: "wiki".into(),
        redirect_uris: vec![REDIRECT.into()],
        refresh_token_seconds: refresh,
        ..ClientSpec::default()
    };
    let made = provider.clients.add(spec, None).await.expect("client");
    let secret = made
        .client_secret
        .expect("a confidential client gets a secret");
    assert!(secret.len() >= 43);
    provider.keys.ensure().await.expect("keys");
    Setup {
        provider,
        store,
        clock,
        user,
        secret,
    }
}

fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

async fn code(s: &Setup, challenge: Option<&str>) -> String {
    let mut p = vec![
        ("client_id", "wiki"),
        ("redirect_uri", REDIRECT),
        ("response_type", "code"),
        ("scope", "openid profile email"),
        ("nonce", "n-1"),
    ];
    if let Some(c) = challenge {
        p.extend([("code_challenge", c), ("code_challenge_method", "S256")]);
    }
    let client = s.provider.clients.find("wiki").await.unwrap();
    let req = authorize::check(&params(&p), client).expect("authorize request");
    let login = SignedIn {
        user: s.user.clone(),
        session_hash: Some("sess1".into()),
        auth_time: NOW,
        methods: vec![Method::Push],
        passkey: false,
    };
    s.provider.issue_code(&req, &login).await.expect("code")
}

fn exchange(s: &Setup, code: &str, verifier: Option<&str>) -> TokenRequest {
    let mut p = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT),
    ];
    if let Some(v) = verifier {
        p.push(("code_verifier", v));
    }
    TokenRequest {
        params: params(&p),
        basic: Some(("wiki".into(), s.secret.clone())),
        address: None,
    }
}

fn refresh(s: &Setup, token: &str) -> TokenRequest {
    TokenRequest {
        params: params(&[("grant_type", "refresh_token"), ("refresh_token", token)]),
        basic: Some(("wiki".into(), s.secret.clone())),
        address: None,
    }
}

async fn a_code_is_exchanged_once_and_a_replay_revokes_its_tokens(store: SqlStore) {
    let s = setup(store, None).await;
    let code = code(&s, None).await;
    // Racers: one wins the conditional UPDATE.
    let (a, b) = tokio::join!(
        s.provider.token(exchange(&s, &code, None)),
        s.provider.token(exchange(&s, &code, None))
    );
    let (ok, err) = match (a, b) {
        (Ok(ok), Err(err)) | (Err(err), Ok(ok)) => (ok, err),
        other => panic!("exactly one exchange wins: {other:?}"),
    };
    assert_eq!(err.error, OAuthError::InvalidGrant);
    let claims = s.provider.userinfo(&ok.access_token).await;
    assert!(
        claims.is_err(),
        "the replay revoked the first exchange's access token"
    );
    assert!(
        ok.refresh_token.is_none(),
        "no refresh tokens unless the client has them"
    );
    let trail = s
        .store
        .query_audit(&AuditQuery {
            limit: 10,
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    let mine: Vec<_> = trail
        .iter()
        .filter(|r| r.api_key.as_deref() == Some("oidc:wiki"))
        .collect();
    assert_eq!(mine.len(), 2, "{trail:?}");
    assert!(mine.iter().any(|r| r.result == "accepted"
        && r.username == "alice"
        && r.method == "oidc_authorization_code"));
    assert!(mine
        .iter()
        .any(|r| r.result == "rejected" && r.reason.as_deref() == Some("invalid_grant")));

    // A fresh code: userinfo answers, the ID token names the user by id.
    let code = self::code(&s, None).await;
    let ok = s
        .provider
        .token(exchange(&s, &code, None))
        .await
        .expect("exchange");
    let info = s
        .provider
        .userinfo(&ok.access_token)
        .await
        .expect("userinfo");
    assert_eq!(info["sub"], "usr_alice");
    assert_eq!(info["email"], "alice@example.org");
    // Codes die after 60 s.
    let late = self::code(&s, None).await;
    s.clock.advance(61);
    assert_eq!(
        s.provider
            .token(exchange(&s, &late, None))
            .await
            .unwrap_err()
            .error,
        OAuthError::InvalidGrant
    );
}

async fn pkce_and_client_checks_refuse_with_the_right_error(store: SqlStore) {
    let s = setup(store, None).await;
    let other = s
        .provider
        .clients
        .add(
            ClientSpec {
                name: "other".into(),
                redirect_uris: vec![REDIRECT.into()],
                ..ClientSpec::default()
            },
            None,
        )
        .await
        .unwrap();
    let code = code(&s, Some(CHALLENGE)).await;
    let wrong = "x".repeat(43);
    assert_eq!(
        s.provider
            .token(exchange(&s, &code, Some(&wrong)))
            .await
            .unwrap_err()
            .error,
        OAuthError::InvalidGrant
    );
    let code = self::code(&s, Some(CHALLENGE)).await;
    assert_eq!(
        s.provider
            .token(exchange(&s, &code, None))
            .await
            .unwrap_err()
            .error,
        OAuthError::InvalidGrant
    );
    let code = self::code(&s, Some(CHALLENGE)).await;
    let mut by_other = exchange(&s, &code, Some(VERIFIER));
    by_other.basic = Some(("other".into(), other.client_secret.unwrap()));
    assert_eq!(
        s.provider.token(by_other).await.unwrap_err().error,
        OAuthError::InvalidGrant
    );
    let code = self::code(&s, Some(CHALLENGE)).await;
    let mut bad_secret = exchange(&s, &code, Some(VERIFIER));
    bad_secret.basic = Some(("wiki".into(), "not-the-secret-not-the-secret-xx".into()));
    assert_eq!(
        s.provider.token(bad_secret).await.unwrap_err().error,
        OAuthError::InvalidClient
    );
    let ok = s
        .provider
        .token(exchange(&s, &code, Some(VERIFIER)))
        .await
        .expect("the right verifier");
    assert_eq!(ok.token_type, "Bearer");
    // A public client must send a challenge.
    s.provider
        .clients
        .add(
            ClientSpec {
                name: "spa".into(),
                public: true,
                redirect_uris: vec![REDIRECT.into()],
                ..ClientSpec::default()
            },
            None,
        )
        .await
        .unwrap();
    let client = s.provider.clients.find("spa").await.unwrap();
    let p = params(&[
        ("client_id", "spa"),
        ("redirect_uri", REDIRECT),
        ("response_type", "code"),
        ("scope", "openid"),
    ]);
    assert!(matches!(
        authorize::check(&p, client.clone()),
        Err(authorize::AuthorizeError::Redirect { .. })
    ));
    let p = params(&[
        ("client_id", "spa"),
        ("redirect_uri", "https://evil.example/cb"),
        ("response_type", "code"),
        ("scope", "openid"),
    ]);
    assert!(matches!(
        authorize::check(&p, client),
        Err(authorize::AuthorizeError::NoRedirect(_))
    ));
}

async fn refresh_tokens_rotate_and_a_reuse_revokes_the_family(store: SqlStore) {
    let s = setup(store, Some(3600)).await;
    let code = code(&s, None).await;
    let first = s
        .provider
        .token(exchange(&s, &code, None))
        .await
        .expect("exchange");
    let r1 = first.refresh_token.expect("refresh token");
    let second = s.provider.token(refresh(&s, &r1)).await.expect("refresh");
    let r2 = second.refresh_token.expect("a new refresh token");
    assert_ne!(r1, r2);
    assert!(s.provider.userinfo(&second.access_token).await.is_ok());
    // r1 again: refused, and r2 with it.
    assert_eq!(
        s.provider.token(refresh(&s, &r1)).await.unwrap_err().error,
        OAuthError::InvalidGrant
    );
    assert_eq!(
        s.provider.token(refresh(&s, &r2)).await.unwrap_err().error,
        OAuthError::InvalidGrant
    );
    assert!(s.provider.userinfo(&second.access_token).await.is_err());
}

async fn a_disabled_users_refresh_token_is_refused(store: SqlStore) {
    let s = setup(store, Some(3600)).await;
    let code = code(&s, None).await;
    let first = s
        .provider
        .token(exchange(&s, &code, None))
        .await
        .expect("exchange");
    let mut user = s.user.clone();
    user.enabled = false;
    s.store.update_user(&user).await.unwrap();
    let refused = s
        .provider
        .token(refresh(&s, &first.refresh_token.unwrap()))
        .await
        .unwrap_err();
    assert_eq!(refused.error, OAuthError::InvalidGrant);
    assert!(s.provider.userinfo(&first.access_token).await.is_err());
}

async fn keys_rotate_with_overlap(store: SqlStore) {
    let s = setup(store, None).await;
    let before = s.provider.keys.list().await.unwrap();
    assert_eq!(before.len(), 1);
    s.clock.advance(10);
    let made = s.provider.keys.rotate(SigningAlg::ES256).await.unwrap();
    let after = s.provider.keys.list().await.unwrap();
    assert_eq!(after.len(), 2);
    assert!(after.iter().all(|k| k.published && k.usable));
    let jwks = s.provider.jwks().await.unwrap();
    assert_eq!(
        jwks["keys"].as_array().unwrap().len(),
        2,
        "the old key stays published"
    );
    let code = code(&s, None).await;
    let ok = s.provider.token(exchange(&s, &code, None)).await.unwrap();
    let header = ok.id_token.split('.').next().unwrap();
    use base64::Engine;
    let header: serde_json::Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(header)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(header["kid"], made.kid.as_str(), "the new key signs");
    // Two days later the old key is gone from the JWKS.
    s.clock.advance(2 * 86_400 + 20);
    let jwks = s.provider.jwks().await.unwrap();
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 1);
}
