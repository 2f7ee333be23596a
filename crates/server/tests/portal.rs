//! The user portal in real headless Chromium over WebDriver, at a phone's
//! 390×844 and a desktop's 1440 px: a user signs in with a one-time link,
//! adds a TOTP token (the QR read back from a screenshot by zbarimg is the
//! otpauth URI; the first code from oathtool), chooses a password, signs
//! out and in again with a code; activates the command-line authenticator
//! from the portal's code and URL and approves the next sign-in with the
//! number shown; changes phone with a code texted through a real Kannel;
//! reports a sign-in as "this wasn't me" and is blocked; and a user with no
//! method cannot get in while enrolment is off.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::*;
use countersign_testkit::browser::{decode_qr, Browser};
use countersign_testkit::kannel::{Kannel, Ports};
use serde_json::json;

const PASSWORD: &str = "correct horse battery";

fn oathtool_at(secret_b32: &str, unix: u64) -> String {
    let out = Command::new("oathtool")
        .args(["--totp", "-b", secret_b32, "-N", &format!("@{unix}")])
        .output()
        .expect("oathtool runs (scripts/test installs it)");
    assert!(out.status.success(), "oathtool: {}", stderr(&out));
    stdout(&out).trim().to_string()
}

fn authenticator(store: &Path, args: &[&str]) -> String {
    let out = Command::new(authenticator_bin())
        .arg("--store")
        .arg(store)
        .args(args)
        .output()
        .expect("authenticator runs");
    assert!(
        out.status.success(),
        "authenticator {args:?}: {}",
        stderr(&out)
    );
    stdout(&out)
}

async fn shoot(browser: &Browser, name: &str) -> PathBuf {
    let mut phone = PathBuf::new();
    for (width, height) in [(1440, 900), (390, 844)] {
        browser
            .set_window_size(width, height)
            .await
            .expect("resize");
        phone = browser
            .screenshot(&format!("portal-{name}-{width}"))
            .await
            .expect("screenshot");
    }
    phone
}

async fn wait_for_url(browser: &Browser, part: &str, seconds: u64) -> String {
    for _ in 0..seconds * 4 {
        let url = browser.current_url().await.unwrap_or_default();
        if url.contains(part) {
            return url;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let url = browser.current_url().await.unwrap_or_default();
    panic!("the page did not reach {part} in {seconds} s; it is at {url}");
}

/// The link the CLI prints, on this test server's port (the CLI knows no
/// `public_url` here, so it names the default listener).
fn link_for(server: &Server, user: &str) -> String {
    let printed = server.cli_json(&["user", "enrol-link", user])["url"]
        .as_str()
        .expect("url")
        .to_string();
    let path = printed
        .find("/portal/link/")
        .map(|i| &printed[i..])
        .expect("a portal link");
    server.url(path)
}

async fn sign_in(browser: &Browser, server: &Server, name: &str) {
    browser
        .goto(&server.url("/portal/login"))
        .await
        .expect("open");
    browser.fill("#username", name).await.expect("name");
    browser.fill("#password", PASSWORD).await.expect("password");
    browser.click_and_load("#sign-in").await.expect("sign in");
}

#[tokio::test]
async fn portal_in_a_browser() {
    let ports = Ports::pick();
    let db = Db::sqlite();
    let sms_url = ports.sendsms_url();
    let env = [
        ("COUNTERSIGN_SMS_GATEWAY", "kannel"),
        ("COUNTERSIGN_SMS_URL", sms_url.as_str()),
        ("COUNTERSIGN_SMS_USERNAME", "tester"),
        ("COUNTERSIGN_SMS_PASSWORD", "testpw"),
        ("COUNTERSIGN_SMS_FROM", "4000"),
    ];
    let server = Server::start_with(&db, &env).await;
    let mut kannel = Kannel::start_on(&ports, &format!("{}/healthz", server.base())).await;
    let admin = server.api(&server.create_key("portal-test", "verify,admin"));
    admin
        .post(
            "/api/v1/users",
            json!({"username": "pat", "display_name": "Pat Lee"}),
        )
        .await
        .expect(201, "pat");
    let browser = Browser::start(390, 844).await.expect("browser starts");

    // The link opens a page with a button; only the button uses the link.
    let link = link_for(&server, "pat");
    browser.goto(&link).await.expect("open link");
    browser
        .goto(&link)
        .await
        .expect("open link twice: a mail scanner");
    shoot(&browser, "link").await;
    browser.click_and_load("#use-link").await.expect("use link");
    assert!(browser
        .current_url()
        .await
        .expect("url")
        .ends_with("/portal/enrol"));
    shoot(&browser, "enrol").await;

    // TOTP for any app: the QR is the otpauth URI; the first code confirms it.
    browser.click_and_load("#add-totp").await.expect("add totp");
    let png = shoot(&browser, "totp").await;
    let uri = decode_qr(&png).expect("zbarimg reads the QR");
    assert!(uri.starts_with("otpauth://totp/"), "{uri}");
    assert!(uri.contains("pat"), "{uri}");
    let shown = browser
        .text("#totp-secret")
        .await
        .expect("secret")
        .replace(' ', "");
    assert!(uri.contains(&format!("secret={shown}")), "{uri} vs {shown}");
    browser.fill("#code", "000000").await.expect("wrong code");
    browser
        .click_and_load("#confirm-totp")
        .await
        .expect("submit");
    assert!(browser.text("#totp-error").await.expect("error").len() > 10);
    assert!(
        admin.get("/api/v1/users/pat/tokens").await.body["tokens"]
            .as_array()
            .expect("list")
            .is_empty(),
        "a wrong first code saves nothing"
    );
    let now = unix_now();
    browser
        .fill("#code", &oathtool_at(&shown, now))
        .await
        .expect("code");
    browser
        .click_and_load("#confirm-totp")
        .await
        .expect("confirm");
    wait_for_url(&browser, "notice=token_added", 5).await;
    assert_eq!(
        admin.get("/api/v1/users/pat/tokens").await.body["tokens"]
            .as_array()
            .expect("list")
            .len(),
        1
    );

    // A password for next time, then out and in again with the next code.
    browser
        .click_and_load("#set-password")
        .await
        .expect("password page");
    browser.fill("#value", PASSWORD).await.expect("pw");
    browser.fill("#again", PASSWORD).await.expect("pw again");
    browser
        .click_and_load("#save-password")
        .await
        .expect("save");
    wait_for_url(&browser, "notice=password_set", 5).await;
    shoot(&browser, "home").await;
    browser.click_and_load("#sign-out").await.expect("sign out");
    assert!(browser
        .current_url()
        .await
        .expect("url")
        .ends_with("/portal/login"));
    sign_in(&browser, &server, "pat").await;
    assert!(browser
        .current_url()
        .await
        .expect("url")
        .ends_with("/portal/verify"));
    shoot(&browser, "verify-code").await;
    browser
        .fill("#code", &oathtool_at(&shown, now + 30))
        .await
        .expect("code");
    browser
        .click_and_load("#send-code")
        .await
        .expect("send code");
    wait_for_url(&browser, "/portal", 5).await;
    assert!(browser.text("#default-method").await.is_ok(), "signed in");

    // Signed in by password: changing it asks for the current one.
    browser
        .click_and_load("#change-password")
        .await
        .expect("password page");
    browser
        .fill("#current", "not my password")
        .await
        .expect("current");
    browser.fill("#value", PASSWORD).await.expect("pw");
    browser.fill("#again", PASSWORD).await.expect("pw again");
    browser
        .click_and_load("#save-password")
        .await
        .expect("save");
    assert!(
        browser.text("#current-error").await.is_ok(),
        "told next to the field"
    );
    shoot(&browser, "password-change").await;
    browser.fill("#current", PASSWORD).await.expect("current");
    browser.fill("#value", PASSWORD).await.expect("pw");
    browser.fill("#again", PASSWORD).await.expect("pw again");
    browser
        .click_and_load("#save-password")
        .await
        .expect("save");
    wait_for_url(&browser, "notice=password_set", 5).await;

    // The authenticator, activated from the code and URL the portal shows.
    browser
        .click_and_load("#activate-app")
        .await
        .expect("activate");
    let png = shoot(&browser, "app").await;
    let qr = decode_qr(&png).expect("activation QR");
    assert!(qr.contains("/app#code="), "{qr}");
    let code = browser
        .text("#activation-code")
        .await
        .expect("code")
        .replace(' ', "");
    let url = browser.text("#server-url").await.expect("url");
    let dir = countersign_testkit::TempDir::new("portal-authenticator");
    let store = dir.path().join("store.json");
    authenticator(
        &store,
        &[
            "activate",
            "--url",
            &url,
            "--code",
            &code,
            "--name",
            "Pat's phone",
        ],
    );
    wait_for_url(&browser, "notice=app_activated", 30).await;
    assert!(browser
        .source()
        .await
        .expect("page")
        .contains("Pat's phone"));

    // The next sign-in is a push: approved with the number the page shows.
    browser.click_and_load("#sign-out").await.expect("sign out");
    sign_in(&browser, &server, "pat").await;
    let number = browser.text("#push-number").await.expect("number shown");
    shoot(&browser, "verify-push").await;
    authenticator(
        &store,
        &[
            "watch",
            "--auto",
            "approve",
            "--number",
            number.trim(),
            "--once",
        ],
    );
    wait_for_url(&browser, "/portal", 30).await;
    browser
        .wait_for("#default-method", Duration::from_secs(30))
        .await
        .expect("signed in by push");

    // A new phone, saved only with the code texted to it through Kannel.
    browser
        .click_and_load("#change-phone")
        .await
        .expect("phone page");
    browser
        .fill("#address", "not a phone")
        .await
        .expect("bad phone");
    browser
        .click_and_load("#send-contact-code")
        .await
        .expect("send");
    assert!(
        browser
            .text("#address-error")
            .await
            .expect("error next to the field")
            .len()
            > 5
    );
    browser
        .fill("#address", "+44 1632 960999")
        .await
        .expect("phone");
    browser
        .click_and_load("#send-contact-code")
        .await
        .expect("send");
    let (to, text) = kannel.next_mt().await;
    assert_eq!(to, "+441632960999");
    let texted = digits_of_len(&text, 6);
    shoot(&browser, "phone-code").await;
    let wrong = if texted == "111111" {
        "222222"
    } else {
        "111111"
    };
    browser.fill("#code", wrong).await.expect("wrong code");
    browser
        .click_and_load("#confirm-contact")
        .await
        .expect("confirm");
    assert!(browser.text("#contact-error").await.is_ok());
    assert!(
        admin.get("/api/v1/users/pat").await.body["phone"].is_null(),
        "not saved on a wrong code"
    );
    browser.fill("#code", &texted).await.expect("code");
    browser
        .click_and_load("#confirm-contact")
        .await
        .expect("confirm");
    wait_for_url(&browser, "notice=phone_changed", 5).await;
    assert_eq!(
        admin.get("/api/v1/users/pat").await.body["phone"],
        "+441632960999"
    );

    // "This wasn't me" on a sign-in blocks the account at once.
    browser.click_and_load("#report-1").await.expect("report");
    shoot(&browser, "reported").await;
    assert!(
        browser
            .text("#message")
            .await
            .expect("told what happens")
            .len()
            > 20
    );
    assert_eq!(admin.get("/api/v1/users/pat").await.body["enabled"], false);
    let audit = admin.get("/api/v1/audit?username=pat").await;
    let records = audit.body["records"].as_array().expect("audit records");
    assert!(
        records.iter().any(|r| r["reason"] == "fraud_reported"),
        "the report is in the audit trail: {records:?}"
    );
    sign_in(&browser, &server, "pat").await;
    assert!(browser.text("#login-error").await.expect("refused").len() > 10);

    // No method yet and enrolment off: the link does not get anyone in.
    admin
        .patch("/api/v1/settings", json!({"allow_user_enrolment": false}))
        .await
        .expect(200, "enrolment off");
    admin
        .post("/api/v1/users", json!({"username": "nomethod"}))
        .await
        .expect(201, "user");
    let link = link_for(&server, "nomethod");
    browser.goto(&link).await.expect("open");
    browser.click_and_load("#use-link").await.expect("use link");
    assert!(browser
        .current_url()
        .await
        .expect("url")
        .contains("/portal/link/"));
    let refused = browser.text("#login-error").await.expect("told why");
    assert!(refused.contains("turned off"), "{refused}");
    shoot(&browser, "no-method").await;
    browser.close().await;
}
