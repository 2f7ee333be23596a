//! Passkeys in the portal, in real headless Chromium with a CDP virtual
//! authenticator (ctap2, internal, resident keys, user verification) on
//! `http://localhost:PORT` with RP ID `localhost`: a user signs in with a
//! one-time link, adds a passkey (named), sets a password, signs out and
//! signs in with the passkey alone (no username); then with the password,
//! and the second factor is the passkey; a second passkey is added through
//! the script's hand-written base64url path (the browser's JSON helpers
//! removed), renamed and removed; the last method cannot be removed.
//! Screenshots of the passkey pages at 390 and 1440 px go to
//! `docs/img/portal/`. The console's side is `passkeys_console.rs`.

mod common;

use common::passkeys::{have_chromium, local, passkey_server, shoot, wait_for_url, Passkeys};
use common::*;
use serde_json::json;

const PASSWORD: &str = "correct horse battery";

/// The link the CLI prints, on localhost (WebAuthn wants a domain).
fn link_for(server: &Server, user: &str) -> String {
    let printed = server.cli_json(&["user", "enrol-link", user])["url"]
        .as_str()
        .expect("url")
        .to_string();
    let at = printed.find("/portal/link/").expect("a portal link");
    local(server, &printed[at..])
}

async fn audit_methods(admin: &Api, user: &str) -> Vec<(String, String, String)> {
    let page = admin
        .get(&format!("/api/v1/audit?username={user}&limit=20"))
        .await;
    let records = page.body["records"].as_array().cloned().unwrap_or_default();
    records
        .iter()
        .map(|r| {
            let text = |k: &str| r[k].as_str().unwrap_or_default().to_string();
            (text("result"), text("method"), text("api_key"))
        })
        .collect()
}

#[tokio::test]
async fn portal_passkeys_in_a_browser() {
    if !have_chromium() {
        return;
    }
    let db = Db::sqlite();
    let server = passkey_server(&db, &[], &[]).await;
    let admin = server.api(&server.create_key("passkeys", "verify,admin"));
    admin
        .post(
            "/api/v1/users",
            json!({"username": "pat", "display_name": "Pat Lee"}),
        )
        .await
        .expect(201, "pat");
    let keys = Passkeys::start(1440, 900).await;
    first_passkey_by_link(&keys, &server, &admin).await;
    set_password(&keys, &server).await;
    passkey_alone(&keys, &admin).await;
    password_then_passkey(&keys).await;
    second_passkey_by_hand(&keys, &server).await;
    rename_and_remove(&keys).await;
    keys.browser.close().await;
}

async fn open_details(browser: &countersign_testkit::browser::Browser) {
    let script = "document.querySelectorAll('details').forEach(d => d.open = true); return 1";
    browser.execute(script, vec![]).await.expect("open");
}

async fn first_passkey_by_link(keys: &Passkeys, server: &Server, admin: &Api) {
    let browser = &keys.browser;
    // A first sign-in by link: enrol-only, and a passkey may be the first method.
    browser.goto(&link_for(server, "pat")).await.expect("link");
    browser.click_and_load("#use-link").await.expect("use link");
    wait_for_url(browser, "/portal/enrol", 5).await;
    browser
        .goto(&local(server, "/portal/passkeys"))
        .await
        .expect("passkeys page");
    let page = browser.source().await.expect("page");
    assert!(
        page.contains("id=\"no-passkeys\""),
        "no passkey yet: {page}"
    );
    browser
        .fill("#passkey-name", "Work laptop")
        .await
        .expect("name");
    shoot(browser, "portal", "passkeys-add", &[390, 1440]).await;
    keys.click_until("#add-passkey", "notice=passkey_added")
        .await;
    assert_eq!(keys.credentials().await.len(), 1, "one resident credential");
    let listed = browser
        .text("#passkey-1 .passkey-name")
        .await
        .expect("listed");
    assert_eq!(listed, "Work laptop");
    // The script's POSTs are forms checked by the guard: no right csrf, 403.
    let forged = browser
        .execute_async(
            "const done = arguments[arguments.length - 1]; \
             Promise.all(['', 'wrong'].map(c => fetch('/portal/passkeys/begin', {method: 'POST', \
               body: new URLSearchParams(c ? {csrf: c} : {})}).then(r => r.status))).then(done);",
            vec![],
        )
        .await
        .expect("forged begins");
    assert_eq!(
        forged,
        json!([403, 403]),
        "begin without the session's csrf"
    );
    let api_list = admin.get("/api/v1/users/pat/passkeys").await;
    assert_eq!(
        api_list.body["passkeys"].as_array().map(Vec::len),
        Some(1),
        "{:?}",
        api_list.body
    );
}

async fn set_password(keys: &Passkeys, server: &Server) {
    let browser = &keys.browser;
    // A password for the second-factor walk later.
    browser
        .goto(&local(server, "/portal/secret/password"))
        .await
        .expect("pw page");
    browser.fill("#value", PASSWORD).await.expect("pw");
    browser.fill("#again", PASSWORD).await.expect("again");
    browser
        .click_and_load("#save-password")
        .await
        .expect("save");
    wait_for_url(browser, "notice=password_set", 5).await;
    browser.click_and_load("#sign-out").await.expect("sign out");
}

async fn passkey_alone(keys: &Passkeys, admin: &Api) {
    let browser = &keys.browser;
    // Sign in with the passkey alone: no username, no password.
    wait_for_url(browser, "/portal/login", 5).await;
    shoot(browser, "portal", "passkeys-sign-in", &[390, 1440]).await;
    keys.click_until("#passkey-sign-in", "/portal").await;
    let home = wait_for_url(browser, "localhost", 1).await;
    assert!(!home.contains("/login"), "signed in: {home}");
    browser
        .find("#passkeys")
        .await
        .expect("the home page's passkey card");
    let records = audit_methods(admin, "pat").await;
    assert!(
        records
            .iter()
            .any(|(result, method, _)| result == "accepted" && method == "webauthn"),
        "the passkey sign-in is audited with method webauthn: {records:?}"
    );
    browser.click_and_load("#sign-out").await.expect("sign out");
}

async fn password_then_passkey(keys: &Passkeys) {
    let browser = &keys.browser;
    // Password, then the passkey as the second factor.
    browser.fill("#username", "pat").await.expect("name");
    browser.fill("#password", PASSWORD).await.expect("password");
    browser.click_and_load("#sign-in").await.expect("sign in");
    wait_for_url(browser, "/portal/verify", 5).await;
    browser
        .find("#use-passkey")
        .await
        .expect("the passkey is offered");
    keys.click_until("#use-passkey", "/portal").await;
    browser
        .find("#passkeys")
        .await
        .expect("signed in by password and passkey");
}

async fn second_passkey_by_hand(keys: &Passkeys, server: &Server) {
    let browser = &keys.browser;
    // The script's own base64url path, as in a browser without the JSON helpers.
    browser
        .goto(&local(server, "/portal/passkeys"))
        .await
        .expect("list");
    let removed = browser
        .execute(
            "delete PublicKeyCredential.parseCreationOptionsFromJSON; \
             delete PublicKeyCredential.parseRequestOptionsFromJSON; \
             delete PublicKeyCredential.prototype.toJSON; \
             return typeof PublicKeyCredential.parseCreationOptionsFromJSON + typeof PublicKeyCredential.prototype.toJSON;",
            vec![],
        )
        .await
        .expect("remove the helpers");
    assert_eq!(removed, json!("undefinedundefined"));
    // A security key this time: a new authenticator without the first credential.
    keys.browser
        .cdp(
            "WebAuthn.removeVirtualAuthenticator",
            json!({"authenticatorId": keys.authenticator}),
        )
        .await
        .expect("remove the first authenticator");
    keys.browser
        .cdp(
            "WebAuthn.addVirtualAuthenticator",
            json!({"options": {"protocol": "ctap2", "transport": "usb", "hasResidentKey": true,
                "hasUserVerification": true, "isUserVerified": true, "automaticPresenceSimulation": true}}),
        )
        .await
        .expect("a second authenticator (a security key)");
    browser
        .fill("#passkey-name", "Blue key")
        .await
        .expect("name");
    keys.click_until("#add-passkey", "notice=passkey_added")
        .await;
    assert_eq!(browser.find_all(".passkey").await.expect("rows").len(), 2);
    shoot(browser, "portal", "passkeys-list", &[390, 1440]).await;
}

async fn rename_and_remove(keys: &Passkeys) {
    let browser = &keys.browser;
    // Rename the first, remove the second; the last one stays.
    open_details(browser).await;
    browser
        .fill("#passkey-name-1", "Old laptop")
        .await
        .expect("rename");
    browser
        .click_and_load("#rename-passkey-1")
        .await
        .expect("rename");
    let names = browser.source().await.expect("page");
    assert!(names.contains("Old laptop"), "renamed");
    open_details(browser).await;
    browser
        .click_and_load("#remove-passkey-2")
        .await
        .expect("remove");
    assert_eq!(browser.find_all(".passkey").await.expect("rows").len(), 1);
    open_details(browser).await;
    browser
        .click_and_load("#remove-passkey-1")
        .await
        .expect("remove the last");
    wait_for_url(browser, "cannot_remove_last", 5).await;
    assert_eq!(
        browser.find_all(".passkey").await.expect("rows").len(),
        1,
        "the last method stays"
    );
}
