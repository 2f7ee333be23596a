//! The OpenID Provider over real sockets with the real binary: the code
//! flow with PKCE against a signed-in `/sso` session (password and an OATH
//! code), the ID token validated strictly here (ES256 signature against the
//! JWKS, iss, aud, exp, nonce, at_hash), userinfo, refresh, RP-initiated
//! logout; and the negative tests, each refused with the right
//! OAuth error: an unregistered redirect URI (not redirected), a reused
//! code (its first tokens revoked), a wrong or missing PKCE verifier, a
//! token request by another client, `plain` PKCE, a wrong secret, refresh
//! token reuse, a disabled user's refresh token. Clients are made by the CLI
//! and the API; every token answer is in the audit trail as `oidc:NAME`.

mod common;
mod sso_common;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use common::console::Visitor;
use common::*;
use ring::signature::{UnparsedPublicKey, ECDSA_P256_SHA256_FIXED};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use sso_common::*;

const CB: &str = "http://127.0.0.1:9/probe/cb";
const LOGOUT: &str = "http://127.0.0.1:9/probe/bye";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

#[tokio::test]
async fn code_flow_with_pkce_sqlite() {
    code_flow(Db::sqlite()).await;
}

#[tokio::test]
async fn code_flow_with_pkce_postgres() {
    code_flow(Db::postgres().await).await;
}

struct Rp {
    base: String,
    http: reqwest::Client,
    id: String,
    secret: String,
}

impl Rp {
    async fn token(&self, form: &[(&str, &str)]) -> (u16, Value) {
        let reply = self
            .http
            .post(format!("{}/sso/token", self.base))
            .basic_auth(&self.id, Some(&self.secret))
            .form(form)
            .send()
            .await
            .expect("token endpoint");
        let status = reply.status().as_u16();
        let cache = reply
            .headers()
            .get("cache-control")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        assert_eq!(cache, "no-store", "token answers are not cached");
        (status, reply.json().await.unwrap_or(Value::Null))
    }

    async fn exchange(&self, code: &str, verifier: Option<&str>) -> (u16, Value) {
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", CB),
        ];
        if let Some(v) = verifier {
            form.push(("code_verifier", v));
        }
        self.token(&form).await
    }

    async fn userinfo(&self, token: &str) -> reqwest::Response {
        self.http
            .get(format!("{}/sso/userinfo", self.base))
            .bearer_auth(token)
            .send()
            .await
            .expect("userinfo")
    }
}

fn authorize_path(client: &str, extra: &str) -> String {
    format!(
        "/sso/authorize?response_type=code&client_id={client}&redirect_uri={}&scope=openid+profile+email+groups&state=st-1&nonce=n-1{extra}",
        encoded(CB)
    )
}

fn query_of(location: &str) -> Vec<(String, String)> {
    let query = location.split_once('?').map(|(_, q)| q).unwrap_or("");
    url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect()
}

fn param(location: &str, name: &str) -> Option<String> {
    query_of(location)
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

/// Authorize with a live session: the redirect back to the client.
async fn code_for(visitor: &mut Visitor, client: &str, extra: &str) -> String {
    let page = visitor.get(&authorize_path(client, extra)).await;
    assert_eq!(page.status, 302, "{}", page.body);
    let location = page.location();
    assert!(location.starts_with(CB), "back to the client: {location}");
    location
}

async fn code_flow(db: Db) {
    let (server, _config) = start(&db, "", &[]).await;
    let base = server.base().trim_end_matches('/').to_string();
    let admin = server.api(&server.create_key("oidc-tests", "verify,admin"));
    user(&server, &admin, "pat", "Pat Lee").await;

    // Clients: one by the CLI (secret printed once), one public by the API.
    let made = server.cli_json(&[
        "oidc",
        "client",
        "add",
        "--name",
        "probe",
        "--redirect-uri",
        CB,
        "--post-logout-redirect-uri",
        LOGOUT,
        "--refresh-token-seconds",
        "3600",
    ]);
    let secret = made["client_secret"]
        .as_str()
        .expect("secret shown once")
        .to_string();
    let listed = server.cli_json(&["oidc", "client", "show", "probe"]);
    assert!(
        listed.get("client_secret").is_none(),
        "show never has the secret: {listed}"
    );
    let other = admin
        .post(
            "/api/v1/oidc/clients",
            json!({"name": "other", "redirect_uris": [CB]}),
        )
        .await;
    let other_secret = other.expect(201, "client")["client_secret"]
        .as_str()
        .unwrap()
        .to_string();
    let spa = admin
        .post(
            "/api/v1/oidc/clients",
            json!({"name": "spa", "public": true, "redirect_uris": [CB]}),
        )
        .await;
    assert!(spa.expect(201, "public client")["client_secret"].is_null());
    let short = admin
        .post(
            "/api/v1/oidc/clients",
            json!({"name": "weak", "redirect_uris": [CB], "client_secret": "short"}),
        )
        .await;
    short.expect_error(422, "invalid_request", "a short secret");
    let rp = Rp {
        base: base.clone(),
        http: reqwest::Client::new(),
        id: "probe".into(),
        secret,
    };
    let other_rp = Rp {
        id: "other".into(),
        secret: other_secret,
        ..Rp {
            base: base.clone(),
            http: reqwest::Client::new(),
            id: String::new(),
            secret: String::new(),
        }
    };

    // Discovery: the issuer is public_url.
    let discovery: Value = reqwest::get(format!("{base}/.well-known/openid-configuration"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(discovery["issuer"], base.as_str());
    assert_eq!(
        discovery["authorization_endpoint"],
        format!("{base}/sso/authorize")
    );
    assert_eq!(
        discovery["code_challenge_methods_supported"],
        json!(["S256"])
    );

    // An unregistered redirect URI: an error page, never a redirect.
    let mut browser = Visitor::new(&base);
    let evil = browser
        .get(
            &authorize_path("probe", "").replace(&encoded(CB), &encoded("https://evil.example/cb")),
        )
        .await;
    assert_eq!(evil.status, 400);
    assert!(evil.location().is_empty(), "not redirected");
    let unknown = browser.get(&authorize_path("nobody", "")).await;
    assert_eq!((unknown.status, unknown.location()), (400, String::new()));

    // Not signed in: to /sso and back, then the code.
    let pkce = format!("&code_challenge={CHALLENGE}&code_challenge_method=S256");
    let first = browser.get(&authorize_path("probe", &pkce)).await;
    assert_eq!(first.status, 302);
    let rd = param(&first.location(), "rd").expect("rd to come back");
    assert!(rd.starts_with(&format!("{base}/sso/authorize?")), "{rd}");
    let signed = sign_in(&mut browser, "pat", &hotp(RFC_SECRET, 1), &rd).await;
    assert_eq!(
        (signed.status, signed.location()),
        (303, rd.clone()),
        "{}",
        signed.body
    );
    let back = browser.get(rd.strip_prefix(&base).unwrap()).await;
    let location = back.location();
    assert!(location.starts_with(CB), "{} {location}", back.status);
    assert_eq!(param(&location, "state").as_deref(), Some("st-1"));
    assert_eq!(
        param(&location, "iss").as_deref(),
        Some(base.as_str()),
        "RFC 9207 iss"
    );
    let code = param(&location, "code").expect("code");

    // The exchange, and the ID token checked strictly.
    let (status, tokens) = rp.exchange(&code, Some(VERIFIER)).await;
    assert_eq!(status, 200, "{tokens}");
    let access = tokens["access_token"].as_str().unwrap().to_string();
    let claims = check_id_token(
        &base,
        tokens["id_token"].as_str().unwrap(),
        "probe",
        &access,
    )
    .await;
    assert_ne!(claims["sub"], "pat", "sub is not the username");
    assert_eq!(claims["preferred_username"], "pat");
    assert_eq!(claims["email"], "pat@example.org");
    let amr: Vec<&str> = claims["amr"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(amr, ["pwd", "otp", "mfa"]);
    assert_eq!(claims["acr"], "urn:countersign:mfa");
    let info = rp.userinfo(&access).await;
    assert_eq!(info.status(), 200);
    let info: Value = info.json().await.unwrap();
    assert_eq!(info["sub"], claims["sub"]);
    let bad = rp.userinfo("not-a-token").await;
    assert_eq!(bad.status(), 401);
    let challenge = bad
        .headers()
        .get("www-authenticate")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    assert!(challenge.contains("invalid_token"), "{challenge}");

    // The code again: invalid_grant, and the first exchange's tokens revoked.
    let (status, again) = rp.exchange(&code, Some(VERIFIER)).await;
    assert_eq!(
        (status, again["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    assert_eq!(
        rp.userinfo(&access).await.status(),
        401,
        "the first access token is revoked"
    );
    let (status, refreshed) = rp
        .token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
        ])
        .await;
    assert_eq!(
        (status, refreshed["error"].as_str()),
        (400, Some("invalid_grant")),
        "the first refresh token too"
    );

    // Wrong verifier, missing verifier, another client, a wrong secret.
    let code = param(&code_for(&mut browser, "probe", &pkce).await, "code").unwrap();
    let (status, e) = rp.exchange(&code, Some(&"a".repeat(43))).await;
    assert_eq!((status, e["error"].as_str()), (400, Some("invalid_grant")));
    let code = param(&code_for(&mut browser, "probe", &pkce).await, "code").unwrap();
    let (status, e) = rp.exchange(&code, None).await;
    assert_eq!((status, e["error"].as_str()), (400, Some("invalid_grant")));
    let code = param(&code_for(&mut browser, "probe", &pkce).await, "code").unwrap();
    let (status, e) = other_rp.exchange(&code, Some(VERIFIER)).await;
    assert_eq!(
        (status, e["error"].as_str()),
        (400, Some("invalid_grant")),
        "another client's code"
    );
    let wrong = Rp {
        secret: "x".repeat(43),
        id: "probe".into(),
        base: base.clone(),
        http: reqwest::Client::new(),
    };
    let (status, e) = wrong.exchange("whatever", None).await;
    assert_eq!((status, e["error"].as_str()), (401, Some("invalid_client")));
    let (status, e) = rp
        .token(&[("grant_type", "password"), ("username", "pat")])
        .await;
    assert_eq!(
        (status, e["error"].as_str()),
        (400, Some("unsupported_grant_type"))
    );

    // A public client without PKCE, and plain PKCE: errors sent back to the client.
    let no_pkce = code_for(&mut browser, "spa", "").await;
    assert_eq!(param(&no_pkce, "error").as_deref(), Some("invalid_request"));
    let plain = code_for(
        &mut browser,
        "probe",
        &format!("&code_challenge={CHALLENGE}&code_challenge_method=plain"),
    )
    .await;
    assert_eq!(param(&plain, "error").as_deref(), Some("invalid_request"));
    assert_eq!(param(&plain, "state").as_deref(), Some("st-1"));
    // The public client with PKCE and no secret.
    let code = param(&code_for(&mut browser, "spa", &pkce).await, "code").unwrap();
    let public = reqwest::Client::new()
        .post(format!("{base}/sso/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", CB),
            ("code_verifier", VERIFIER),
            ("client_id", "spa"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(public.status(), 200);

    // Refresh tokens rotate; a reused one revokes the family.
    let code = param(&code_for(&mut browser, "probe", &pkce).await, "code").unwrap();
    let (_, tokens) = rp.exchange(&code, Some(VERIFIER)).await;
    let r1 = tokens["refresh_token"]
        .as_str()
        .expect("refresh token")
        .to_string();
    let (status, second) = rp
        .token(&[("grant_type", "refresh_token"), ("refresh_token", &r1)])
        .await;
    assert_eq!(status, 200, "{second}");
    let r2 = second["refresh_token"].as_str().unwrap().to_string();
    let (status, e) = rp
        .token(&[("grant_type", "refresh_token"), ("refresh_token", &r1)])
        .await;
    assert_eq!(
        (status, e["error"].as_str()),
        (400, Some("invalid_grant")),
        "reuse"
    );
    let (status, _) = rp
        .token(&[("grant_type", "refresh_token"), ("refresh_token", &r2)])
        .await;
    assert_eq!(status, 400, "the family is revoked");

    // prompt=login asks for one fresh sign-in, then comes back (no loop).
    let fresh = browser
        .get(&authorize_path("probe", &format!("{pkce}&prompt=login")))
        .await;
    assert_eq!(fresh.status, 302);
    assert!(fresh.location().contains("fresh=1"), "{}", fresh.location());
    let rd = param(&fresh.location(), "rd").unwrap();
    let signed = fresh_sign_in(&mut browser, &fresh.location(), &rd, &hotp(RFC_SECRET, 2)).await;
    assert_eq!(signed.location(), rd, "{}", signed.body);
    let back = browser.get(rd.strip_prefix(&base).unwrap()).await;
    assert!(
        back.location().starts_with(CB),
        "a code after the fresh sign-in: {}",
        back.location()
    );
    let code = param(&back.location(), "code").unwrap();
    let (_, tokens) = rp.exchange(&code, Some(VERIFIER)).await;
    let refresh = tokens["refresh_token"].as_str().unwrap().to_string();
    let id_token = tokens["id_token"].as_str().unwrap().to_string();

    // RP-initiated logout: back to a registered URI only, with state; the session ends.
    let unregistered = browser
        .get(&format!(
            "/sso/end_session?id_token_hint={id_token}&post_logout_redirect_uri={}",
            encoded("https://evil.example/")
        ))
        .await;
    assert_eq!(
        (unregistered.status, unregistered.location()),
        (400, String::new())
    );
    let out = browser
        .get(&format!(
            "/sso/end_session?id_token_hint={id_token}&post_logout_redirect_uri={}&state=bye-1",
            encoded(LOGOUT)
        ))
        .await;
    assert_eq!(
        (out.status, out.location()),
        (302, format!("{LOGOUT}?state=bye-1"))
    );
    let after = browser.get(&authorize_path("probe", &pkce)).await;
    assert!(
        after.location().starts_with("/sso?"),
        "signed out: {}",
        after.location()
    );

    // A disabled user's refresh token is refused.
    let code_again = {
        let mut b2 = Visitor::new(&base);
        let first = b2.get(&authorize_path("probe", &pkce)).await;
        let rd = param(&first.location(), "rd").unwrap();
        sign_in(&mut b2, "pat", &hotp(RFC_SECRET, 3), &rd).await;
        let back = b2.get(rd.strip_prefix(&base).unwrap()).await;
        param(&back.location(), "code").unwrap()
    };
    let (_, tokens) = rp.exchange(&code_again, Some(VERIFIER)).await;
    let live_refresh = tokens["refresh_token"].as_str().unwrap().to_string();
    admin
        .patch("/api/v1/users/pat", json!({"enabled": false}))
        .await
        .expect(200, "disable");
    let (status, e) = rp
        .token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", &live_refresh),
        ])
        .await;
    assert_eq!(
        (status, e["error"].as_str()),
        (400, Some("invalid_grant")),
        "disabled user"
    );
    let _ = refresh;

    // Every token answer is audited as oidc:NAME.
    let records = audit(&admin, "pat").await;
    let oidc: Vec<&Value> = records
        .iter()
        .filter(|r| r["api_key"] == "oidc:probe")
        .collect();
    assert!(
        oidc.iter()
            .any(|r| r["result"] == "accepted" && r["method"] == "oidc_authorization_code"),
        "{records:?}"
    );
    assert!(oidc
        .iter()
        .any(|r| r["result"] == "rejected" && r["reason"] == "invalid_grant"));
    assert!(
        metric(
            &server,
            "countersign_oidc_tokens_issued_total{grant=\"authorization_code\"}"
        )
        .await
            >= 4
    );
    // Keys: rotate by the CLI; the old key stays published.
    server.cli_ok(&["oidc", "keys", "rotate"]);
    tokio::time::sleep(std::time::Duration::from_secs(11)).await;
    let jwks: Value = reqwest::get(format!("{base}/sso/jwks"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(jwks["keys"].as_array().map(Vec::len), Some(2), "{jwks}");
}

/// The sign-in form even with a live session (`fresh=1`), password and code.
async fn fresh_sign_in(
    visitor: &mut Visitor,
    location: &str,
    rd: &str,
    code: &str,
) -> common::console::Page {
    let form = visitor.get(location).await;
    assert_eq!(
        form.status, 200,
        "a fresh sign-in shows the form: {}",
        form.body
    );
    let fields = [
        ("csrf", form.csrf()),
        ("username", "pat".to_string()),
        ("password", PASSWORD.to_string()),
        ("rd", rd.to_string()),
    ];
    let after = visitor.post_owned("/sso", &fields).await;
    assert_eq!(after.location(), "/sso/verify", "{}", after.body);
    let verify = visitor.get("/sso/verify").await;
    visitor
        .post("/sso/verify", &[("csrf", &verify.csrf()), ("code", code)])
        .await
}

/// Checks the ID token as a strict relying party does; returns its claims.
async fn check_id_token(base: &str, token: &str, client: &str, access: &str) -> Value {
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3);
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    assert_eq!(header["alg"], "ES256");
    let jwks: Value = reqwest::get(format!("{base}/sso/jwks"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let key = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == header["kid"])
        .expect("the kid is in the JWKS");
    let mut point = vec![4u8];
    point.extend(URL_SAFE_NO_PAD.decode(key["x"].as_str().unwrap()).unwrap());
    point.extend(URL_SAFE_NO_PAD.decode(key["y"].as_str().unwrap()).unwrap());
    let signature = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
    let input = format!("{}.{}", parts[0], parts[1]);
    UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, &point)
        .verify(input.as_bytes(), &signature)
        .expect("signature");
    let mut tampered = signature.clone();
    tampered[0] ^= 1;
    assert!(UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, &point)
        .verify(input.as_bytes(), &tampered)
        .is_err());
    let now = unix_now();
    assert_eq!(claims["iss"], base);
    assert_eq!(claims["aud"], client);
    assert_eq!(claims["azp"], client);
    assert!(claims["exp"].as_i64().unwrap() > now && claims["iat"].as_i64().unwrap() <= now + 5);
    assert_eq!(claims["nonce"], "n-1");
    let half = URL_SAFE_NO_PAD.encode(&Sha256::digest(access.as_bytes())[..16]);
    assert_eq!(claims["at_hash"], half.as_str());
    claims
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}
