//! The `/sso` pages in real headless Chromium (with a CDP virtual
//! authenticator) on `http://localhost:PORT`: sign-in with password and
//! an OATH code on to `rd`, the "signed in" page, signing out; then a
//! passkey (registered in the portal) as both factors, and as the second
//! factor after the password ("Use my passkey"). Screenshots at 390 and
//! 1440 px go to `docs/img/sso/`. The words follow Accept-Language.

mod common;
mod sso_common;

use common::passkeys::{have_chromium, shoot, wait_for_url, Passkeys};
use common::*;
use countersign_testkit::free_port;
use sso_common::{encoded, user, PASSWORD};

#[tokio::test]
async fn sso_pages_in_a_browser() {
    if !have_chromium() {
        return;
    }
    let port = free_port();
    let origin = format!("http://localhost:{port}");
    let env = [
        ("COUNTERSIGN_WEBAUTHN_RP_ID", "localhost"),
        ("COUNTERSIGN_WEBAUTHN_ORIGINS", origin.as_str()),
        ("COUNTERSIGN_PUBLIC_URL", origin.as_str()),
    ];
    let db = Db::sqlite();
    let mut server = Server::with_env(&db, &env);
    server.spawn_on(port).await;
    let admin = server.api(&server.create_key("sso-pages", "verify,admin"));
    user(&server, &admin, "pat", "Pat Lee").await;
    let keys = Passkeys::start(1440, 900).await;
    let browser = &keys.browser;
    let at = |path: &str| format!("{origin}{path}");

    // Password and code, on to rd (a page of this server).
    let rd = at("/portal/login");
    browser
        .goto(&at(&format!("/sso?rd={}", encoded(&rd))))
        .await
        .expect("open");
    let named = browser.text("#sso-application").await.expect("where to");
    assert!(named.contains("localhost"), "{named}");
    shoot(browser, "sso", "sign-in", &[390, 1440]).await;
    browser.fill("#username", "pat").await.expect("name");
    browser.fill("#password", PASSWORD).await.expect("password");
    browser.click_and_load("#sign-in").await.expect("sign in");
    wait_for_url(browser, "/sso/verify", 5).await;
    shoot(browser, "sso", "code", &[390, 1440]).await;
    browser
        .fill("#code", &hotp(RFC_SECRET, 1))
        .await
        .expect("code");
    browser
        .click_and_load("#send-code")
        .await
        .expect("send code");
    wait_for_url(browser, "/portal/login", 5).await;

    // Signed in: /sso says so; signing out says so.
    browser.goto(&at("/sso")).await.expect("sso");
    assert!(browser
        .source()
        .await
        .expect("page")
        .contains("id=\"sign-out\""));
    shoot(browser, "sso", "signed-in", &[390, 1440]).await;
    browser.click_and_load("#sign-out").await.expect("sign out");
    let out = browser.text("h1").await.expect("title");
    assert!(out.contains("signed out"), "{out}");
    shoot(browser, "sso", "signed-out", &[390, 1440]).await;

    // A passkey, registered in the portal (password and the next code).
    browser.goto(&at("/portal/login")).await.expect("portal");
    let page = browser.source().await.expect("page");
    assert!(page.contains("id=\"username\""), "{page}");
    browser.fill("#username", "pat").await.expect("name");
    browser.fill("#password", PASSWORD).await.expect("password");
    browser.click_and_load("#sign-in").await.expect("sign in");
    browser
        .fill("#code", &hotp(RFC_SECRET, 2))
        .await
        .expect("code");
    browser
        .click_and_load("#send-code")
        .await
        .expect("send code");
    browser
        .goto(&at("/portal/passkeys"))
        .await
        .expect("passkeys");
    browser.fill("#passkey-name", "Laptop").await.expect("name");
    keys.click_until("#add-passkey", "notice=passkey_added")
        .await;

    // The passkey as both factors, no username.
    browser.goto(&at("/sso")).await.expect("sso");
    keys.click_until("#passkey-sign-in", "/sso").await;
    let signed = browser.text("h1").await.expect("title");
    assert!(signed.contains("signed in"), "{signed}");
    browser.click_and_load("#sign-out").await.expect("sign out");

    // The password, then "Use my passkey" at the second factor.
    browser.goto(&at("/sso")).await.expect("sso");
    let page = browser.source().await.expect("page");
    assert!(page.contains("id=\"username\""), "{page}");
    browser.fill("#username", "pat").await.expect("name");
    browser.fill("#password", PASSWORD).await.expect("password");
    browser.click_and_load("#sign-in").await.expect("sign in");
    wait_for_url(browser, "/sso/verify", 5).await;
    browser
        .click_and_load("#use-webauthn")
        .await
        .expect("use my passkey");
    shoot(browser, "sso", "passkey", &[390, 1440]).await;
    keys.click_until("#use-passkey", "/sso").await;
    let signed = browser.text("h1").await.expect("title");
    assert!(signed.contains("signed in"), "{signed}");
    keys.browser.close().await;

    let records = admin.get("/api/v1/audit?username=pat&limit=20").await;
    let records = records.body["records"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let by_sso: Vec<_> = records
        .iter()
        .filter(|r| r["api_key"] == "sso" && r["result"] == "accepted")
        .map(|r| r["method"].as_str().unwrap_or_default().to_string())
        .collect();
    assert!(by_sso.contains(&"webauthn".to_string()), "{by_sso:?}");

    // German words for a German browser.
    let german = reqwest::Client::new()
        .get(at("/sso"))
        .header("accept-language", "de-DE,de;q=0.9")
        .send()
        .await
        .expect("sso")
        .text()
        .await
        .expect("page");
    assert!(
        german.contains("Kennwort") || german.contains("Anmelden"),
        "{german}"
    );
}
