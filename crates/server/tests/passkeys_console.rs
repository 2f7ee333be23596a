//! Passkeys at the console, in real headless Chromium with a CDP virtual
//! authenticator on `http://localhost:PORT` (RP ID `localhost`): an
//! administrator registers a passkey and signs in with it alone; with
//! "administrators must use a passkey" on (ticked on the settings page),
//! their TOTP code is refused with the reason on the page; helpdesk
//! registers a passkey for a user at the desk and removes it. Screenshots
//! at 1440 px go to `docs/img/console/`.

mod common;

use common::console::{add_admin, PASSWORD as ADMIN_PASSWORD};
use common::passkeys::{have_chromium, local, passkey_server, shoot, wait_for_url, Passkeys};
use common::*;
use serde_json::json;

/// Signs in to the console with name, password and (enrolling) TOTP; returns the seed.
async fn console_sign_in(keys: &Passkeys, server: &Server, name: &str) -> Vec<u8> {
    let browser = &keys.browser;
    browser
        .goto(&local(server, "/admin/login"))
        .await
        .expect("login");
    browser.fill("#username", name).await.expect("name");
    browser
        .fill("#password", ADMIN_PASSWORD)
        .await
        .expect("password");
    browser
        .click_and_load("button[type=submit]")
        .await
        .expect("continue");
    wait_for_url(browser, "/admin/enrol", 5).await;
    let secret = browser.text("#secret").await.expect("secret");
    let seed = countersign_otp::base32::decode(&secret).expect("base32");
    browser.fill("#code", &totp_now(&seed)).await.expect("code");
    browser
        .click_and_load("form[action='/admin/enrol'] button")
        .await
        .expect("sign in");
    seed
}

async fn console_password(keys: &Passkeys, server: &Server, name: &str) {
    let browser = &keys.browser;
    browser
        .goto(&local(server, "/admin/login"))
        .await
        .expect("login");
    browser.fill("#username", name).await.expect("name");
    browser
        .fill("#password", ADMIN_PASSWORD)
        .await
        .expect("password");
    browser
        .click_and_load("form[action='/admin/login'] button")
        .await
        .expect("continue");
}

#[tokio::test]
async fn console_passkeys_in_a_browser() {
    if !have_chromium() {
        return;
    }
    let db = Db::sqlite();
    let server = passkey_server(&db, &[], &[]).await;
    add_admin(&server, "ada", "admin");
    add_admin(&server, "hal", "helpdesk");
    let admin = server.api(&server.create_key("passkeys", "verify,admin"));
    admin
        .post("/api/v1/users", json!({"username": "sam"}))
        .await
        .expect(201, "sam");
    // A token too: a passkey that is not sam's last method may be removed.
    let token = admin
        .post("/api/v1/users/sam/tokens", json!({"type": "totp"}))
        .await;
    token.expect(201, "sam's token");
    let keys = Passkeys::start(1440, 900).await;

    let seed = own_passkey(&keys, &server).await;
    must_use_passkey(&keys, &server, &seed).await;
    helpdesk_at_the_desk(&keys, &server, &admin).await;
    keys.browser.close().await;
}

async fn own_passkey(keys: &Passkeys, server: &Server) -> Vec<u8> {
    let browser = &keys.browser;
    // The administrator's own passkey, then a sign-in with it alone.
    let seed = console_sign_in(keys, server, "ada").await;
    browser
        .goto(&local(server, "/admin/passkeys"))
        .await
        .expect("own passkeys");
    browser
        .fill("#passkey-name", "Ada's laptop")
        .await
        .expect("name");
    keys.click_until("#register-passkey", "notice=").await;
    assert!(browser.find("#passkey-1").await.is_ok(), "listed");
    shoot(browser, "console", "passkeys", &[1440]).await;
    browser
        .click_and_load(".signout button")
        .await
        .expect("sign out");
    keys.click_until("#passkey-sign-in", "/admin").await;
    let url = browser.current_url().await.expect("url");
    assert!(!url.contains("login"), "signed in with the passkey: {url}");
    assert!(browser.source().await.expect("page").contains("ada"));

    seed
}

async fn must_use_passkey(keys: &Passkeys, server: &Server, seed: &[u8]) {
    let browser = &keys.browser;
    // Administrators must use a passkey: Ada's TOTP is refused, with the reason.
    browser
        .goto(&local(server, "/admin/settings"))
        .await
        .expect("settings");
    browser
        .click("#admins_must_use_passkey")
        .await
        .expect("tick");
    browser
        .click_and_load("#save-settings")
        .await
        .expect("save");
    wait_for_url(browser, "saved=1", 5).await;
    let ticked = browser
        .attribute("#admins_must_use_passkey", "checked")
        .await
        .expect("box");
    assert_eq!(ticked.as_deref(), Some("true"), "the setting shows as on");
    browser
        .click_and_load(".signout button")
        .await
        .expect("sign out");
    console_password(keys, server, "ada").await;
    // The password is right: the code page asks for the second factor.
    wait_for_url(browser, "/admin/login/code", 5).await;
    browser.fill("#code", &totp_now(seed)).await.expect("code");
    browser
        .click_and_load("form[action='/admin/login/code'] button")
        .await
        .expect("code");
    let refused = browser
        .text(".error")
        .await
        .expect("the refusal on the page");
    assert!(refused.to_lowercase().contains("passkey"), "{refused}");
    let url = browser.current_url().await.expect("url");
    assert!(url.contains("/admin/login"), "not signed in: {url}");
    // The refusal is on the code page, which offers the passkey as the second factor.
    assert!(url.contains("/admin/login/code"), "{url}");
    shoot(browser, "console", "passkey-required", &[1440]).await;
    keys.click_until("#use-passkey", "/admin").await;
    let url = browser.current_url().await.expect("url");
    assert!(
        !url.contains("login"),
        "signed in with password and passkey: {url}"
    );
    browser
        .click_and_load(".signout button")
        .await
        .expect("sign out");
}

async fn helpdesk_at_the_desk(keys: &Passkeys, server: &Server, admin: &Api) {
    let browser = &keys.browser;
    // Helpdesk registers a passkey for sam at the desk and removes it.
    browser.delete_cookies().await.expect("a fresh browser");
    console_sign_in(keys, server, "hal").await;
    browser
        .goto(&local(server, "/admin/users/sam"))
        .await
        .expect("sam");
    browser
        .fill("#passkey-name", "Sam's key")
        .await
        .expect("name");
    keys.click_until("#register-passkey", "/admin/users/sam")
        .await;
    browser
        .find("#passkey-1")
        .await
        .expect("sam's passkey listed");
    let listed = admin.get("/api/v1/users/sam/passkeys").await;
    assert_eq!(listed.body["passkeys"].as_array().map(Vec::len), Some(1));
    shoot(browser, "console", "user-passkeys", &[1440]).await;
    browser
        .execute("window.confirm = () => true; return 1", vec![])
        .await
        .expect("confirm");
    browser
        .click_and_load("#remove-passkey-1")
        .await
        .expect("remove");
    browser.find("#no-passkeys").await.expect("removed");
}
