//! Real headless Chromium with a CDP virtual authenticator (ctap2, internal,
//! resident keys, user verification): a page on http://localhost:PORT runs
//! `navigator.credentials.create/get` with options from this crate, parsed
//! by `PublicKeyCredential.parseCreationOptionsFromJSON` /
//! `parseRequestOptionsFromJSON`, and hands back `credential.toJSON()`,
//! which this crate verifies.

use countersign_testkit::browser::Browser;
use countersign_webauthn::{
    random_bytes, Algorithm, Attestation, AttestationPreference, AuthenticationResponse, Challenge,
    Credential, Policy, RegistrationResponse, RelyingParty, User, UserVerification, WebauthnError,
};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const PAGE: &str = "<!doctype html><html><head><meta charset=\"utf-8\"><title>passkeys</title></head><body>passkeys</body></html>";

const CREATE: &str = "const done = arguments[arguments.length - 1];
  navigator.credentials.create({publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(arguments[0])})
    .then(c => done({ok: c.toJSON()})).catch(e => done({error: e.name + ': ' + e.message}));";

const GET: &str = "const done = arguments[arguments.length - 1];
  navigator.credentials.get({publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(arguments[0])})
    .then(c => done({ok: c.toJSON()})).catch(e => done({error: e.name + ': ' + e.message}));";

/// Serves PAGE on 127.0.0.1 (the browser reaches it as http://localhost:PORT).
async fn serve_page() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("address").port();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 8192];
                let _ = socket.read(&mut buf).await;
                let answer = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{PAGE}",
                    PAGE.len()
                );
                let _ = socket.write_all(answer.as_bytes()).await;
            });
        }
    });
    port
}

struct Page {
    browser: Browser,
    authenticator: String,
}

impl Page {
    async fn open(port: u16) -> Page {
        let browser = Browser::start(800, 600).await.expect("chromium");
        browser
            .cdp("WebAuthn.enable", json!({}))
            .await
            .expect("WebAuthn.enable");
        let added = browser
            .cdp(
                "WebAuthn.addVirtualAuthenticator",
                json!({"options": {"protocol": "ctap2", "transport": "internal",
                    "hasResidentKey": true, "hasUserVerification": true,
                    "isUserVerified": true, "automaticPresenceSimulation": true}}),
            )
            .await
            .expect("virtual authenticator");
        let authenticator = added["authenticatorId"].as_str().expect("id").to_owned();
        browser
            .goto(&format!("http://localhost:{port}/"))
            .await
            .expect("page");
        Page {
            browser,
            authenticator,
        }
    }

    /// Runs a ceremony script with `options`; the credential's JSON or the browser's error.
    async fn run(&self, script: &str, options: Value) -> Result<Value, String> {
        let answer = self.browser.execute_async(script, vec![options]).await?;
        match answer.get("ok") {
            Some(ok) => Ok(ok.clone()),
            None => Err(answer["error"].as_str().unwrap_or("no answer").to_owned()),
        }
    }

    async fn register(
        &self,
        rp: &RelyingParty,
        user: &User,
        exclude: &[Credential],
    ) -> Result<Credential, String> {
        let challenge = Challenge::generate().unwrap();
        let options = rp.creation_options(user, &challenge, exclude).unwrap();
        let json = self
            .run(CREATE, serde_json::to_value(options).unwrap())
            .await?;
        let response = RegistrationResponse::from_json(&json.to_string()).unwrap();
        rp.verify_registration(&response, &challenge)
            .map_err(|e| e.to_string())
    }

    /// A sign-in's response and the challenge it answered.
    async fn sign_in(
        &self,
        rp: &RelyingParty,
        allow: &[Credential],
    ) -> (AuthenticationResponse, Challenge) {
        let challenge = Challenge::generate().unwrap();
        let options = serde_json::to_value(rp.request_options(&challenge, allow)).unwrap();
        let json = self
            .run(GET, options)
            .await
            .expect("navigator.credentials.get");
        (
            AuthenticationResponse::from_json(&json.to_string()).unwrap(),
            challenge,
        )
    }
}

fn user(handle: &[u8], name: &str) -> User {
    User {
        handle: handle.to_vec(),
        name: name.into(),
        display_name: name.into(),
    }
}

#[tokio::test]
async fn chromium_virtual_authenticator_registers_and_signs_in() {
    if !std::path::Path::new("/usr/lib/chromium/chromium").exists() {
        eprintln!("chromium is not installed (scripts/test installs it): skipped");
        return;
    }
    let port = serve_page().await;
    let origin = format!("http://localhost:{port}");
    let rp = RelyingParty::new(
        "localhost",
        "Countersign",
        std::slice::from_ref(&origin),
        Policy::default(),
    )
    .unwrap();
    let page = Page::open(port).await;

    // Registration: a discoverable ES256 passkey, user verified, attestation none.
    let handle = random_bytes(16).unwrap();
    let mut cred = page
        .register(&rp, &user(&handle, "alice"), &[])
        .await
        .expect("registered");
    assert_eq!(cred.algorithm, Algorithm::Es256);
    assert_eq!(cred.attestation, Attestation::None);
    assert!(cred.user_verified);
    assert_eq!(cred.discoverable, Some(true));
    assert_eq!(cred.transports, ["internal"]);
    // The same authenticator refuses to register twice for the excluded credential.
    let again = page
        .register(&rp, &user(&handle, "alice"), std::slice::from_ref(&cred))
        .await;
    assert!(again.unwrap_err().starts_with("InvalidStateError"));

    // Discoverable sign-in (no allowCredentials): the user handle comes back.
    let (response, challenge) = page.sign_in(&rp, &[]).await;
    assert_eq!(response.credential_id().unwrap(), cred.id);
    assert_eq!(response.user_handle().unwrap(), Some(handle.clone()));
    let auth = rp
        .verify_authentication(&response, &challenge, &cred, Some(&handle))
        .unwrap();
    assert!(auth.user_verified);
    assert!(
        auth.sign_count > cred.sign_count,
        "the virtual authenticator counts"
    );
    let replay_count = cred.sign_count;
    cred.sign_count = auth.sign_count;

    // The same assertion again: its counter no longer grows.
    assert_eq!(
        rp.verify_authentication(&response, &challenge, &cred, Some(&handle)),
        Err(WebauthnError::CounterWentBackwards {
            stored: cred.sign_count,
            received: auth.sign_count
        })
    );
    assert!(replay_count < auth.sign_count);
    // Another challenge than the one issued; another origin allowed than the page's.
    let other = Challenge::generate().unwrap();
    let refused = rp.verify_authentication(&response, &other, &cred, Some(&handle));
    assert_eq!(refused, Err(WebauthnError::ChallengeMismatch));
    let elsewhere = RelyingParty::new(
        "localhost",
        "x",
        &["http://localhost:1".into()],
        Policy::default(),
    )
    .unwrap();
    let refused = elsewhere.verify_authentication(&response, &challenge, &cred, Some(&handle));
    assert_eq!(refused, Err(WebauthnError::WrongOrigin(origin.clone())));

    // Sign-in naming the credential (allowCredentials), as after a username.
    let (response, challenge) = page.sign_in(&rp, std::slice::from_ref(&cred)).await;
    let auth = rp
        .verify_authentication(&response, &challenge, &cred, Some(&handle))
        .unwrap();
    cred.sign_count = auth.sign_count;

    // An authenticator that does not verify the user: refused when verification is required.
    page.browser
        .cdp(
            "WebAuthn.setUserVerified",
            json!({"authenticatorId": page.authenticator, "isUserVerified": false}),
        )
        .await
        .expect("setUserVerified");
    let lenient = rp
        .with_policy(Policy {
            user_verification: UserVerification::Discouraged,
            ..Policy::default()
        })
        .unwrap();
    let (response, challenge) = page.sign_in(&lenient, std::slice::from_ref(&cred)).await;
    assert_eq!(
        rp.verify_authentication(&response, &challenge, &cred, Some(&handle)),
        Err(WebauthnError::UserVerificationMissing)
    );
    assert!(lenient
        .verify_authentication(&response, &challenge, &cred, Some(&handle))
        .is_ok());
    page.browser
        .cdp(
            "WebAuthn.setUserVerified",
            json!({"authenticatorId": page.authenticator, "isUserVerified": true}),
        )
        .await
        .expect("setUserVerified");

    // Attestation "direct": Chromium's packed statement verifies.
    let direct = rp
        .with_policy(Policy {
            attestation: AttestationPreference::Direct,
            ..Policy::default()
        })
        .unwrap();
    let bob = page
        .register(&direct, &user(&random_bytes(16).unwrap(), "bob"), &[])
        .await
        .expect("direct");
    assert!(
        matches!(
            bob.attestation,
            Attestation::Certified { .. } | Attestation::SelfAttestation
        ),
        "{:?}",
        bob.attestation
    );
    eprintln!(
        "chromium: credential {} bytes, counter {}, direct attestation {:?}",
        cred.id.len(),
        cred.sign_count,
        match &bob.attestation {
            Attestation::Certified { chain } => format!("packed, {} certificate(s)", chain.len()),
            other => format!("{other:?}"),
        }
    );
    page.browser.close().await;
}
