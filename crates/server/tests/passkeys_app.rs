//! An application's own page uses passkeys through the API, in headless
//! Chromium with a CDP virtual authenticator: a test application (a tiny
//! HTTP server on another localhost port, its backend holding an API key)
//! registers a passkey (`POST /api/v1/users/{u}/passkeys` and
//! `.../{ceremony_id}`) and signs in (`POST /api/v1/verify` method
//! `webauthn` → options → `navigator.credentials.get` → `verify` with
//! `assertion`) and gets `accepted`. Then each refusal, with its reason:
//! a replayed assertion, a page on an origin that is not allowed, a
//! credential of another RP ID, an expired challenge, a removed
//! credential, and a counter that went backwards (audited
//! `credential_cloned`).

mod common;

use common::passkeys::{have_chromium, passkey_server, App, Passkeys};
use common::*;
use countersign_testkit::free_port;
use serde_json::{json, Value};

/// Runs `script` (an expression giving a promise) on the application's page.
async fn on_page(keys: &Passkeys, script: &str) -> Value {
    let wrapped = format!(
        "const done = arguments[arguments.length - 1]; \
         Promise.resolve().then(() => {script}).then(done, e => done({{error: e.name + ': ' + e.message}}));"
    );
    keys.browser
        .execute_async(&wrapped, vec![])
        .await
        .expect(script)
}

fn reason(answer: &Value) -> String {
    let body = &answer["body"];
    body["reason"]
        .as_str()
        .or(body["error"]["code"].as_str())
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn an_application_page_uses_passkeys_through_the_api() {
    if !have_chromium() {
        return;
    }
    let (app_port, stranger_port) = (free_port(), free_port());
    let app_origin = format!("http://localhost:{app_port}");
    // The RP ID is localhost; app.localhost is allowed as an origin (so the
    // origin check passes) to show a credential of another RP ID refused.
    let other_rp = format!("http://app.localhost:{app_port}");
    let db = Db::sqlite();
    let server = passkey_server(&db, &[app_origin.clone(), other_rp.clone()], &[]).await;
    let key = server.create_key("shop", "verify,admin");
    let api = server.api(&key);
    api.post("/api/v1/users", json!({"username": "alice"}))
        .await
        .expect(201, "alice");
    // A TOTP token too, so the passkey is not her last method and may be removed.
    let token = api
        .post("/api/v1/users/alice/tokens", json!({"type": "totp"}))
        .await;
    token.expect(201, "a token");
    App::start(app_port, server.base(), key.clone()).await;
    App::start(stranger_port, server.base(), key.clone()).await;
    let keys = Passkeys::start(1024, 768).await;
    keys.browser
        .goto(&format!("{app_origin}/"))
        .await
        .expect("the app's page");

    let credential_id = register_and_sign_in(&keys, &api).await;
    replayed_or_crossed(&keys).await;
    wrong_origin_and_rp_id(&keys, &app_origin, &other_rp, stranger_port).await;
    expired(&keys, &api).await;
    counter_backwards(&keys, &api).await;
    removed_credential(&keys, &api, &credential_id).await;
    keys.browser.close().await;
}

/// Registers alice's passkey from the application's page and signs in with
/// it; answers its credential id.
async fn register_and_sign_in(keys: &Passkeys, api: &Api) -> String {
    // Registration through the API, from the application's origin.
    let registered = on_page(keys, "register('alice', 'Phone')").await;
    assert!(
        registered["status"].as_u64().is_some_and(|s| s < 300),
        "{registered}"
    );
    let listed = api.get("/api/v1/users/alice/passkeys").await;
    assert_eq!(
        listed.body["passkeys"].as_array().map(Vec::len),
        Some(1),
        "{:?}",
        listed.body
    );

    // Sign-in: challenge with options, the browser's assertion, accepted.
    let done = on_page(keys, "signIn('alice')").await;
    assert_eq!(done["body"]["result"], "accepted", "{done}");
    assert_eq!(
        keys.browser.text("#result").await.expect("shown"),
        "accepted"
    );

    listed.body["passkeys"][0]["credential_id"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

async fn replayed_or_crossed(keys: &Passkeys) {
    // The same assertion again: its transaction is used up.
    let replayed = on_page(keys, "call('verify', window.last)").await;
    assert_ne!(replayed["body"]["result"], "accepted", "{replayed}");
    eprintln!("replayed assertion: {replayed}");
    assert!(!reason(&replayed).is_empty(), "a reason: {replayed}");

    // An assertion answering another transaction's challenge.
    let crossed = on_page(keys,
        "begin('alice').then(a => begin('alice').then(b => assert(a).then(x => \
           call('verify', {username: 'alice', transaction_id: b.body.transaction_id, assertion: x}))))").await;
    assert_eq!(reason(&crossed), "challenge_mismatch", "{crossed}");
}

async fn wrong_origin_and_rp_id(
    keys: &Passkeys,
    app_origin: &str,
    other_rp: &str,
    stranger_port: u16,
) {
    // A page on an origin that is not allowed.
    keys.browser
        .goto(&format!("http://localhost:{stranger_port}/"))
        .await
        .expect("stranger");
    let stranger = on_page(keys, "signIn('alice')").await;
    assert_eq!(reason(&stranger), "origin_mismatch", "{stranger}");

    // The same key registered for another RP ID (app.localhost): its
    // assertion names another relying party.
    let cred = keys
        .credentials()
        .await
        .into_iter()
        .next()
        .expect("the credential");
    let mut copy = cred.clone();
    copy["rpId"] = json!("app.localhost");
    // One authenticator holds a credential id once: swap the copy in.
    let put = |credential: Value| {
        let params = json!({"authenticatorId": keys.authenticator, "credential": credential});
        keys.browser.cdp("WebAuthn.addCredential", params)
    };
    let take = || {
        let params =
            json!({"authenticatorId": keys.authenticator, "credentialId": cred["credentialId"]});
        keys.browser.cdp("WebAuthn.removeCredential", params)
    };
    take().await.expect("remove the original");
    put(copy).await.expect("the same key for app.localhost");
    keys.browser
        .goto(&format!("{other_rp}/"))
        .await
        .expect("app.localhost");
    let other = on_page(keys,
        "begin('alice').then(s => { s.body.options.rpId = 'app.localhost'; return assert(s).then(x => \
           call('verify', {username: 'alice', transaction_id: s.body.transaction_id, assertion: x})); })").await;
    assert_eq!(reason(&other), "rp_id_mismatch", "{other}");
    take().await.expect("remove the copy");
    put(cred.clone()).await.expect("the original back");
    keys.browser
        .goto(&format!("{app_origin}/"))
        .await
        .expect("back");
}

async fn expired(keys: &Passkeys, api: &Api) {
    // An expired challenge (3 s for this part).
    let short = json!({"webauthn_challenge_seconds": 3});
    api.patch("/api/v1/settings", short)
        .await
        .expect(200, "3 s challenges");
    let late = on_page(keys,
        "begin('alice').then(s => assert(s).then(x => new Promise(ok => setTimeout(ok, 4500)).then(() => \
           call('verify', {username: 'alice', transaction_id: s.body.transaction_id, assertion: x}))))").await;
    assert_ne!(late["body"]["result"], "accepted", "{late}");
    eprintln!("expired challenge: {late}");
    assert_eq!(reason(&late), "challenge_expired", "{late}");
    let back = json!({"webauthn_challenge_seconds": 300});
    api.patch("/api/v1/settings", back)
        .await
        .expect(200, "300 s again");
}

async fn counter_backwards(keys: &Passkeys, api: &Api) {
    // A counter that goes backwards: a clone of the key that is behind.
    let cred = keys
        .credentials()
        .await
        .into_iter()
        .find(|c| c["rpId"] == "localhost")
        .expect("the credential");
    keys.set_counter(&cred, 0).await;
    let cloned = on_page(keys, "signIn('alice')").await;
    assert_eq!(reason(&cloned), "credential_cloned", "{cloned}");
    let audit = api.get("/api/v1/audit?username=alice&limit=50").await;
    let text = audit.body.to_string();
    assert!(text.contains("credential_cloned"), "audited: {text}");
}

async fn removed_credential(keys: &Passkeys, api: &Api, id: &str) {
    // A removed credential: the challenge was issued, then the passkey removed.
    let started = on_page(
        keys,
        "begin('alice').then(s => assert(s).then(x => ({s: s, x: x})))",
    )
    .await;
    api.delete(&format!("/api/v1/users/alice/passkeys/{id}"))
        .await
        .expect(204, "removed");
    let body = json!({"username": "alice", "transaction_id": started["s"]["body"]["transaction_id"],
        "assertion": started["x"]});
    let removed = api.post("/api/v1/verify", body).await;
    let words = removed.body.to_string();
    assert!(words.contains("passkey_unknown"), "{words}");
}
