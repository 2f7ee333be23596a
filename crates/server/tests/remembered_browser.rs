//! Remembered browsers at the portal, in real headless Chromium whose
//! profile (its user-data dir) outlives the browser: a rule gives the
//! portal `remember_device_days`; the user signs in (password, then the
//! code), ticks "remember this browser", the browser is closed and opened
//! again on the same profile, and the next sign-in asks no second factor
//! (audited `remembered_device` with the browser's id); the user forgets
//! it in the portal and is asked again. The console shows and revokes a
//! user's remembered browsers; a password change and "sign out
//! everywhere" forget them; without a rule allowing it no checkbox is
//! shown and a cookie is not honoured. Screenshots at 390 and 1440 px.

mod common;

use common::console::{add_admin, Visitor};
use common::passkeys::{have_chromium, shoot, wait_for_url};
use common::*;
use countersign_testkit::browser::Browser;
use countersign_testkit::TempDir;
use serde_json::{json, Value};

const PASSWORD: &str = "a portal password";
const NEW_PASSWORD: &str = "another portal password";

/// The reasons of pat's accepted sign-ins, newest first.
async fn accepted(admin: &Api) -> Vec<(String, String)> {
    let page = admin.get("/api/v1/audit?username=pat&limit=20").await;
    let records = page.body["records"].as_array().cloned().unwrap_or_default();
    records
        .iter()
        .filter(|r| r["result"] == "accepted")
        .map(|r| {
            let text = |k: &str| r[k].as_str().unwrap_or_default().to_string();
            (text("reason"), text("token_id"))
        })
        .collect()
}

/// Pat gets a portal password by a one-time link (HTTP, not the browser).
async fn set_password(server: &Server) {
    let url = server.cli_json(&["user", "enrol-link", "pat"])["url"]
        .as_str()
        .expect("url")
        .to_string();
    let path = &url[url.find("/portal/link/").expect("a link")..];
    let mut visitor = Visitor::new(&server.base());
    let page = visitor.get(path).await;
    let after = visitor.post(path, &[("csrf", &page.csrf())]).await;
    assert_eq!(after.location(), "/portal/verify", "{}", after.body);
    let verify = visitor.get("/portal/verify").await;
    let code = hotp(RFC_SECRET, 0);
    let done = visitor
        .post(
            "/portal/verify",
            &[("csrf", &verify.csrf()), ("code", &code)],
        )
        .await;
    assert!(done.location().starts_with("/portal"), "{}", done.body);
    let form = visitor.get("/portal/secret/password").await.csrf();
    let saved = visitor
        .post(
            "/portal/secret/password",
            &[("csrf", &form), ("value", PASSWORD), ("again", PASSWORD)],
        )
        .await;
    assert_eq!(
        saved.location(),
        "/portal?notice=password_set",
        "{}",
        saved.body
    );
}

/// Password at the portal's sign-in page: where it leads.
async fn sign_in(browser: &Browser, server: &Server, password: &str) -> String {
    browser
        .goto(&server.url("/portal/login"))
        .await
        .expect("login");
    browser.fill("#username", "pat").await.expect("name");
    browser.fill("#password", password).await.expect("password");
    browser
        .click_and_load("button[type=submit]")
        .await
        .expect("submit");
    browser.current_url().await.expect("url")
}

async fn code(browser: &Browser, counter: u64) -> String {
    browser
        .fill("#code", &hotp(RFC_SECRET, counter))
        .await
        .expect("code");
    browser
        .click_and_load("button[type=submit]")
        .await
        .expect("submit code");
    browser.current_url().await.expect("url")
}

#[tokio::test]
async fn a_remembered_browser_skips_the_second_factor_until_forgotten() {
    if !have_chromium() {
        return;
    }
    let server = Server::start(&Db::sqlite()).await;
    let admin = server.api(&server.create_key("remember", "verify,admin"));
    admin
        .post("/api/v1/users", json!({"username": "pat"}))
        .await
        .expect(201, "pat");
    let token = json!({"type": "hotp", "secret": RFC_SECRET_B32});
    admin
        .post("/api/v1/users/pat/tokens", token)
        .await
        .expect(201, "hotp");
    set_password(&server).await;
    let profile = TempDir::new("profile");

    // No rule allows remembering yet: no offer after the second factor.
    let browser = Browser::start_with_profile(1440, 900, Some(profile.path()))
        .await
        .expect("chromium");
    assert!(sign_in(&browser, &server, PASSWORD)
        .await
        .ends_with("/portal/verify"));
    assert!(
        code(&browser, 1).await.ends_with("/portal"),
        "no offer without a rule"
    );
    browser.click_and_load("#sign-out").await.expect("sign out");

    let rule = json!({"name": "remember-portal", "doors": ["portal"], "outcome": "allow",
        "remember_device_days": 30});
    admin
        .post("/api/v1/rules", rule)
        .await
        .expect(201, "the rule");

    // Sign in, tick remember.
    assert!(sign_in(&browser, &server, PASSWORD)
        .await
        .ends_with("/portal/verify"));
    assert!(
        code(&browser, 2).await.ends_with("/portal/remember"),
        "the offer"
    );
    let offer = browser.text("#remember").await.expect("offer");
    assert!(offer.contains("30"), "{offer}");
    shoot(&browser, "portal", "remember-offer", &[390, 1440]).await;
    browser.click("#remember-browser").await.expect("tick");
    browser
        .click_and_load("#remember-continue")
        .await
        .expect("continue");
    wait_for_url(&browser, "notice=browser_remembered", 5).await;
    assert!(browser
        .text("#browser-1")
        .await
        .expect("listed")
        .contains("Chrome"));
    // Signed out and in again in the same browser: the password alone.
    browser.click_and_load("#sign-out").await.expect("sign out");
    let again = sign_in(&browser, &server, PASSWORD).await;
    assert!(
        again.ends_with("/portal"),
        "remembered in this browser: {again}"
    );
    let lock = profile.path().join("SingletonLock");
    assert!(lock.symlink_metadata().is_ok(), "the profile is in use");
    // Chromium writes its cookie jar to the profile every 30 s: a browser
    // closed sooner under WebDriver may not have, as a person's would.
    tokio::time::sleep(std::time::Duration::from_secs(32)).await;
    browser.quit_keeping_profile().await;
    assert!(
        lock.symlink_metadata().is_err(),
        "Chromium let go of the profile"
    );
    let kept = stored_cookies(profile.path());
    assert!(
        kept.iter().any(|(name, _)| name == "countersign_device"),
        "the cookie is kept: {kept:?}"
    );

    // The same profile, a new browser: the password alone signs in.
    let browser = Browser::start_with_profile(1440, 900, Some(profile.path()))
        .await
        .expect("chromium again");
    let landed = sign_in(&browser, &server, PASSWORD).await;
    assert!(
        landed.ends_with("/portal"),
        "no second factor asked: {landed}"
    );
    let reasons = accepted(&admin).await;
    assert_eq!(reasons[0].0, "remembered_device", "{reasons:?}");
    assert!(
        reasons[0].1.starts_with("rmb_"),
        "the browser's id: {reasons:?}"
    );
    browser
        .goto(&server.url("/portal/browsers"))
        .await
        .expect("browsers");
    let listed = browser.text("#browser-1").await.expect("listed");
    assert!(!listed.contains("never"), "last used is shown: {listed}");
    shoot(&browser, "portal", "browsers", &[390, 1440]).await;

    // A wrong password is still wrong on a remembered browser.
    browser.click_and_load("#sign-out").await.expect("sign out");
    let wrong = sign_in(&browser, &server, "not the password").await;
    assert!(wrong.ends_with("/portal/login"), "{wrong}");
    assert!(
        browser.find("#password").await.is_ok(),
        "the sign-in page again"
    );

    // Forget it: asked again.
    sign_in(&browser, &server, PASSWORD).await;
    browser
        .goto(&server.url("/portal/browsers"))
        .await
        .expect("browsers");
    browser
        .click_and_load("#forget-browser-1")
        .await
        .expect("forget");
    wait_for_url(&browser, "notice=browser_forgotten", 5).await;
    assert!(browser.find("#no-browsers").await.is_ok());
    browser.click_and_load("#sign-out").await.expect("sign out");
    let asked = sign_in(&browser, &server, PASSWORD).await;
    assert!(asked.ends_with("/portal/verify"), "asked again: {asked}");

    // Remembered again; the console shows it and revokes it.
    assert!(code(&browser, 3).await.ends_with("/portal/remember"));
    browser.click("#remember-browser").await.expect("tick");
    browser
        .click_and_load("#remember-continue")
        .await
        .expect("continue");
    console_revokes(&server, &browser).await;
    browser.click_and_load("#sign-out").await.expect("sign out");
    let asked = sign_in(&browser, &server, PASSWORD).await;
    assert!(
        asked.ends_with("/portal/verify"),
        "revoked at the console: {asked}"
    );

    // Remembered again; a password change forgets it.
    assert!(code(&browser, 4).await.ends_with("/portal/remember"));
    browser.click("#remember-browser").await.expect("tick");
    browser
        .click_and_load("#remember-continue")
        .await
        .expect("continue");
    browser
        .goto(&server.url("/portal/secret/password"))
        .await
        .expect("password page");
    browser.fill("#current", PASSWORD).await.expect("current");
    browser.fill("#value", NEW_PASSWORD).await.expect("new");
    browser.fill("#again", NEW_PASSWORD).await.expect("again");
    browser
        .click_and_load("#save-password")
        .await
        .expect("change");
    browser
        .goto(&server.url("/portal/browsers"))
        .await
        .expect("browsers");
    assert!(
        browser.find("#no-browsers").await.is_ok(),
        "forgotten by the new password"
    );

    // Remembered again; "sign out everywhere" forgets it and signs out.
    browser.click_and_load("#sign-out").await.expect("sign out");
    assert!(sign_in(&browser, &server, NEW_PASSWORD)
        .await
        .ends_with("/portal/verify"));
    assert!(code(&browser, 5).await.ends_with("/portal/remember"));
    browser.click("#remember-browser").await.expect("tick");
    browser
        .click_and_load("#remember-continue")
        .await
        .expect("continue");
    browser
        .click_and_load("#sign-out-everywhere")
        .await
        .expect("everywhere");
    assert!(browser
        .current_url()
        .await
        .expect("url")
        .ends_with("/portal/login"));
    let asked = sign_in(&browser, &server, NEW_PASSWORD).await;
    assert!(
        asked.ends_with("/portal/verify"),
        "forgotten everywhere: {asked}"
    );
    let user: Value = admin.get("/api/v1/users/pat").await.body;
    assert_eq!(user["enabled"], true);
    browser.close().await;
}

/// The console's user page lists the browser; an editor revokes it.
async fn console_revokes(server: &Server, portal: &Browser) {
    add_admin(server, "desk", "helpdesk");
    let mut desk = Visitor::new(&server.base());
    let seed = desk.sign_in("desk").await;
    let step = unix_now() / 30;
    let page = desk.get("/admin/users/pat").await;
    assert!(page.body.contains("id=\"browser-1\""), "{}", page.body);
    // The same page in the browser, for the screenshots.
    let console = Browser::start(1440, 900).await.expect("chromium");
    console
        .goto(&server.url("/admin/login"))
        .await
        .expect("login");
    console.fill("#username", "desk").await.expect("name");
    console
        .fill("#password", common::console::PASSWORD)
        .await
        .expect("pw");
    console
        .click_and_load("button[type=submit]")
        .await
        .expect("submit");
    // The enrolment used this step's code: the next step's is a new one.
    while unix_now() / 30 == step {
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    console.fill("#code", &totp_now(&seed)).await.expect("code");
    console
        .click_and_load("button[type=submit]")
        .await
        .expect("code");
    console
        .goto(&server.url("/admin/users/pat"))
        .await
        .expect("user page");
    console
        .execute(
            "document.getElementById('browsers').scrollIntoView(); return 1",
            vec![],
        )
        .await
        .expect("scroll");
    shoot(&console, "console", "user-browsers", &[390, 1440]).await;
    // The groups pages while we are here: a local group with pat in it.
    console
        .goto(&server.url("/admin/groups"))
        .await
        .expect("groups");
    console
        .fill("#group-name", "Contractors")
        .await
        .expect("name");
    console
        .click_and_load("#create-group")
        .await
        .expect("create");
    console
        .fill("#member-username", "pat")
        .await
        .expect("member");
    console.click_and_load("#add-member").await.expect("add");
    assert!(console.find("#member-1").await.is_ok(), "pat is a member");
    shoot(&console, "console", "group", &[390, 1440]).await;
    console
        .goto(&server.url("/admin/groups"))
        .await
        .expect("groups");
    shoot(&console, "console", "groups", &[390, 1440]).await;
    console.close().await;
    let id = common::console::between(&page.body, "/browsers/", "/forget");
    let path = format!("/admin/users/pat/browsers/{id}/forget");
    let revoked = desk.post_owned(&path, &[("csrf", page.csrf())]).await;
    assert_eq!(revoked.location(), "/admin/users/pat", "{}", revoked.body);
    assert!(desk
        .get("/admin/users/pat")
        .await
        .body
        .contains("id=\"no-browsers\""));
    let _ = portal;
}

/// The cookies Chromium wrote into the profile: (name, expires_utc).
fn stored_cookies(profile: &std::path::Path) -> Vec<(String, i64)> {
    let newer = profile.join("Default").join("Network").join("Cookies");
    let path = match newer.exists() {
        true => newer,
        false => profile.join("Default").join("Cookies"),
    };
    let Ok(db) = rusqlite::Connection::open(&path) else {
        return Vec::new();
    };
    let Ok(mut query) = db.prepare("SELECT name, expires_utc FROM cookies") else {
        return Vec::new();
    };
    query
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
        .map(|rows| rows.filter_map(Result::ok).collect())
        .unwrap_or_default()
}
