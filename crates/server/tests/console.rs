//! The admin console in real headless Chromium over WebDriver: a new
//! administrator signs in and enrols a TOTP (code from oathtool), creates a
//! user, adds a TOTP token whose QR (read back from a screenshot by
//! zbarimg) is the exact otpauth URI, unlocks a locked user, grants a
//! bypass and finds the bypassed sign-in in the audit page, exports the
//! audit as CSV and reads the dashboard chart. Screenshots at 390 and 1440 px.

mod common;

use std::process::Command;
use std::time::Duration;

use common::*;
use countersign_testkit::browser::{decode_qr, Browser};
use serde_json::{json, Value};

const PASSWORD: &str = "console test password 1";

fn oathtool_totp(secret_b32: &str) -> String {
    let out = Command::new("oathtool")
        .args(["--totp", "-b", secret_b32])
        .output()
        .expect("oathtool runs (scripts/test installs it)");
    assert!(out.status.success(), "oathtool: {}", stderr(&out));
    stdout(&out).trim().to_string()
}

async fn shoot(browser: &Browser, name: &str) {
    for (width, height) in [(1440, 900), (390, 844)] {
        browser
            .set_window_size(width, height)
            .await
            .expect("resize");
        browser
            .screenshot(&format!("console-{name}-{width}"))
            .await
            .expect("screenshot");
    }
    browser.set_window_size(1440, 900).await.expect("resize");
}

#[tokio::test]
async fn console_in_a_browser() {
    let db = Db::sqlite();
    let server = Server::start(&db).await;
    let file = server.data_dir().join("root.password");
    std::fs::write(&file, PASSWORD).expect("password file");
    server.cli_ok(&[
        "admin",
        "add",
        "root",
        "--role",
        "admin",
        "--password-file",
        &file.to_string_lossy(),
    ]);
    let api = server.api(&server.create_key("console-test", "verify,admin"));
    let browser = Browser::start(1440, 900).await.expect("browser starts");

    // Anything under /admin asks for a sign-in first.
    browser
        .goto(&server.url("/admin/users"))
        .await
        .expect("open");
    assert!(browser
        .current_url()
        .await
        .expect("url")
        .ends_with("/admin/login"));
    shoot(&browser, "login").await;
    browser.fill("#username", "root").await.expect("name");
    browser
        .fill("#password", "wrong password!!")
        .await
        .expect("pw");
    browser
        .click_and_load("button[type=submit]")
        .await
        .expect("submit");
    let error = browser.text(".error").await.expect("error shown");
    assert!(error.contains("wrong"), "{error}");
    assert_eq!(
        browser.attribute("#username", "value").await.expect("kept"),
        Some("root".into()),
        "what was typed is kept"
    );

    browser.fill("#password", PASSWORD).await.expect("pw");
    browser
        .click_and_load("button[type=submit]")
        .await
        .expect("submit");
    browser
        .wait_for("#secret", Duration::from_secs(5))
        .await
        .expect("enrolment page");
    assert!(browser
        .current_url()
        .await
        .expect("url")
        .ends_with("/admin/enrol"));
    shoot(&browser, "enrol").await;
    let secret = browser.text("#secret").await.expect("secret");
    browser
        .fill("#code", &oathtool_totp(&secret))
        .await
        .expect("code");
    browser
        .click_and_load("form button[type=submit]")
        .await
        .expect("sign in");
    browser
        .wait_for("#signin-chart", Duration::from_secs(5))
        .await
        .expect("dashboard after enrolment");

    // A new user: a bad email is refused next to the field, the rest kept.
    browser
        .goto(&server.url("/admin/users/new"))
        .await
        .expect("new");
    browser.fill("#username", "alice").await.expect("u");
    browser
        .fill("#display_name", "Alice Example")
        .await
        .expect("d");
    browser.fill("#email", "not-an-email").await.expect("e");
    browser
        .execute("document.querySelector('#email').type = 'text'", vec![])
        .await
        .expect("let the server judge the email");
    browser
        .click_and_load("main form button[type=submit]")
        .await
        .expect("create");
    let field_error = match browser.text("#email-error").await {
        Ok(text) => text,
        Err(e) => panic!(
            "field error: {e}\n{}",
            browser.source().await.unwrap_or_default()
        ),
    };
    assert!(!field_error.is_empty());
    assert_eq!(
        browser
            .attribute("#display_name", "value")
            .await
            .expect("kept"),
        Some("Alice Example".into())
    );
    shoot(&browser, "user-form-error").await;
    api.get("/api/v1/users/alice")
        .await
        .expect_error(404, "not_found", "nothing half-saved");
    browser
        .fill("#email", "alice@example.org")
        .await
        .expect("e");
    browser
        .click_and_load("main form button[type=submit]")
        .await
        .expect("create");
    browser
        .wait_for("#add-totp", Duration::from_secs(5))
        .await
        .expect("user page");

    // Edit: restrict alice to codes; what the engine allows follows.
    browser
        .goto(&server.url("/admin/users/alice/edit"))
        .await
        .expect("edit");
    browser.click("#allow_otp").await.expect("tick otp");
    browser
        .click_and_load("main form button[type=submit]")
        .await
        .expect("save");
    assert_eq!(browser.text("#allowed").await.expect("allowed"), "otp");
    let push = api
        .post(
            "/api/v1/verify",
            json!({"username": "alice", "method": "push"}),
        )
        .await;
    assert_eq!(push.expect(200, "push")["reason"], "method_not_allowed");

    // Add TOTP: the QR in the screenshot is the exact otpauth URI shown.
    browser.click_and_load("#add-totp").await.expect("add totp");
    browser
        .wait_for("#qr svg", Duration::from_secs(5))
        .await
        .expect("qr");
    let uri = browser
        .execute(
            "return [...document.querySelectorAll('code.secret')].map(e => e.textContent).find(t => t.startsWith('otpauth://'))",
            vec![],
        )
        .await
        .expect("uri");
    let uri = uri
        .as_str()
        .expect("an otpauth URI on the page")
        .to_string();
    assert!(uri.starts_with("otpauth://totp/"), "{uri}");
    let shot = browser
        .screenshot("console-totp-qr-1440")
        .await
        .expect("shot");
    assert_eq!(decode_qr(&shot).expect("QR decodes"), uri);
    shoot(&browser, "totp-added").await;

    // New activation: the QR is the web app's link, code in the fragment.
    browser
        .goto(&server.url("/admin/users/alice"))
        .await
        .expect("user");
    browser
        .click_and_load("#new-activation")
        .await
        .expect("activation");
    browser
        .wait_for("#qr svg", Duration::from_secs(5))
        .await
        .expect("qr");
    let shot = browser
        .screenshot("console-activation-1440")
        .await
        .expect("shot");
    let link = decode_qr(&shot).expect("QR decodes");
    assert!(
        link.starts_with(&format!(
            "{}/app#code=",
            server.base().trim_end_matches('/')
        )),
        "{link}"
    );
    let shown = browser.text("main").await.expect("page");
    assert!(shown.contains(&link), "the link is shown as text too");

    // Lock alice with wrong codes through the API, then unlock her here.
    for n in 0..10 {
        api.verify("alice", &format!("{:06}", 100_000 + n)).await;
    }
    browser
        .goto(&server.url("/admin/users/alice"))
        .await
        .expect("user");
    assert!(browser
        .text("#state")
        .await
        .expect("state")
        .contains("locked"));
    shoot(&browser, "user-locked").await;
    browser.click_and_load("#unlock").await.expect("unlock");
    browser
        .wait_for("#state", Duration::from_secs(5))
        .await
        .expect("page");
    assert!(browser
        .text("#state")
        .await
        .expect("state")
        .contains("active"));

    // A one-time bypass, then a sign-in with a wrong code passes as `bypassed`.
    browser
        .fill("#reason", "lost phone, ticket 42")
        .await
        .expect("reason");
    browser
        .click_and_load("#grant-bypass")
        .await
        .expect("grant");
    browser
        .wait_for("#bypass", Duration::from_secs(5))
        .await
        .expect("shown");
    assert_eq!(
        api.verify("alice", "000000").await,
        json!({"result": "accepted", "reason": "bypassed"})
    );
    // Send test sign-in: alice's method is otp, so the page asks for the
    // code she reads out, and the engine's answer is shown.
    browser
        .goto(&server.url("/admin/users/alice"))
        .await
        .expect("user");
    browser.click_and_load("#test-signin").await.expect("test");
    let secret = uri
        .split("secret=")
        .nth(1)
        .and_then(|rest| rest.split('&').next())
        .expect("the secret in the URI")
        .to_string();
    browser
        .fill("#test-code", &oathtool_totp(&secret))
        .await
        .expect("code");
    browser.click_and_load("#test-submit").await.expect("check");
    let state = browser
        .execute(
            "return document.querySelector('#test-outcome').dataset.state",
            vec![],
        )
        .await
        .expect("outcome");
    let text = browser.text("#test-outcome").await.expect("text");
    assert_eq!(state, "accepted", "{text}");
    shoot(&browser, "test-signin").await;

    browser
        .goto(&server.url("/admin/audit?user=alice&result=accepted"))
        .await
        .expect("audit");
    let table = browser.text("table.audit").await.expect("audit table");
    assert!(table.contains("bypassed"), "{table}");
    shoot(&browser, "audit").await;

    // The CSV export of the filtered set.
    let csv = browser
        .execute_async(
            "const done = arguments[arguments.length - 1];
             fetch('/admin/audit.csv?user=alice').then(r => r.text()).then(done, e => done('error ' + e));",
            vec![],
        )
        .await
        .expect("export");
    let csv = csv.as_str().unwrap_or_default().to_string();
    assert!(csv.starts_with("time,username,result,reason"), "{csv}");
    assert!(
        csv.lines().any(|l| l.contains(",alice,accepted,bypassed,")),
        "{csv}"
    );
    assert_eq!(
        csv.lines().filter(|l| l.contains(",code_invalid,")).count(),
        10,
        "{csv}"
    );

    // The dashboard chart holds the last 24 hours, this hour included.
    browser
        .goto(&server.url("/admin"))
        .await
        .expect("dashboard");
    let bars = browser
        .execute(
            "return [...document.querySelectorAll('#signin-chart g.bar')].map(g => [+g.dataset.accepted, +g.dataset.rejected])",
            vec![],
        )
        .await
        .expect("bars");
    let bars: Vec<Value> = bars.as_array().expect("bars").clone();
    assert_eq!(bars.len(), 24);
    let last = &bars[23];
    assert!(
        last[0].as_i64() >= Some(1) && last[1].as_i64() >= Some(10),
        "{last}"
    );
    shoot(&browser, "dashboard").await;

    // A setting changed here is obeyed by the engine at once.
    browser
        .goto(&server.url("/admin/settings"))
        .await
        .expect("settings");
    browser
        .fill("#lockout_threshold", "three")
        .await
        .expect("bad");
    browser
        .click_and_load("#save-settings")
        .await
        .expect("save");
    assert!(!browser
        .text(".field-error")
        .await
        .expect("error")
        .is_empty());
    assert_eq!(
        browser
            .attribute("#lockout_threshold", "value")
            .await
            .expect("kept"),
        Some("three".into())
    );
    browser.fill("#lockout_threshold", "3").await.expect("good");
    browser
        .click_and_load("#save-settings")
        .await
        .expect("save");
    shoot(&browser, "settings").await;
    api.post("/api/v1/users", json!({"username": "bob"}))
        .await
        .expect(201, "bob");
    api.post(
        "/api/v1/users/bob/tokens",
        json!({"type": "hotp", "secret": RFC_SECRET_B32}),
    )
    .await
    .expect(201, "bob's token");
    for seed in 0..3 {
        let wrong = api.verify("bob", &wrong_code(RFC_SECRET, seed)).await;
        assert_eq!(wrong["reason"], "code_invalid");
    }
    assert_eq!(
        api.verify("bob", &hotp(RFC_SECRET, 0)).await["reason"],
        "user_locked_out",
        "locked after 3 failures, as set in the console"
    );

    // A RADIUS client: a short secret is refused next to its field, then added.
    browser
        .goto(&server.url("/admin/clients"))
        .await
        .expect("clients");
    browser.fill("#c-name", "vpn").await.expect("name");
    browser
        .fill("#c-address", "10.0.0.0/24")
        .await
        .expect("address");
    browser.fill("#c-secret", "short").await.expect("secret");
    browser.click_and_load("#add-client").await.expect("add");
    let error = browser.text(".field-error").await.expect("error");
    assert!(error.contains("16"), "{error}");
    assert_eq!(
        browser.attribute("#c-name", "value").await.expect("kept"),
        Some("vpn".into())
    );
    browser
        .fill("#c-secret", "a-long-enough-shared-secret")
        .await
        .expect("secret");
    browser.click_and_load("#add-client").await.expect("add");
    let listed = browser.text("table.list").await.expect("list");
    assert!(listed.contains("10.0.0.0/24"), "{listed}");
    // Edit it: a new address and the fallback, the secret kept.
    browser
        .goto(&server.url("/admin/clients/vpn/edit"))
        .await
        .expect("edit");
    browser
        .fill("#c-address", "10.0.1.0/24")
        .await
        .expect("address");
    browser.click("#c-fallback").await.expect("fallback");
    browser.click_and_load("#save-client").await.expect("save");
    let listed = browser.text("table.list").await.expect("list");
    assert!(
        listed.contains("10.0.1.0/24") && listed.contains("falls back to a code"),
        "{listed}"
    );
    shoot(&browser, "clients").await;
    for page in ["messages", "diagnostics"] {
        let url = server.url(&format!("/admin/{page}"));
        browser.goto(&url).await.expect("page");
        shoot(&browser, page).await;
    }

    // Search as you type: the table follows the box without a page load.
    browser
        .goto(&server.url("/admin/users"))
        .await
        .expect("users");
    browser.fill("#q", "bo").await.expect("type");
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let table = browser.text("#users-table").await.expect("table");
        if table.contains("bob") && !table.contains("alice") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the list did not follow: {table}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    shoot(&browser, "users").await;

    // Sign out everywhere: this browser's session is gone too.
    browser
        .goto(&server.url("/admin"))
        .await
        .expect("dashboard");
    browser
        .click_and_load("#logout-everywhere")
        .await
        .expect("out");
    browser
        .goto(&server.url("/admin/users"))
        .await
        .expect("users");
    assert!(browser
        .current_url()
        .await
        .expect("url")
        .contains("/admin/login"));
    browser.close().await;
}
