//! The console's sign-in rules page and tester in headless Chromium: an
//! administrator adds the worked example of docs/policy.md (office skips,
//! admins need a passkey, contractors only push) through the form, a bad
//! network is refused next to its field, a rule moves up and is edited and
//! removed, and the tester tells what a user would be asked for. Screenshots
//! at 390 and 1440 px (copied to docs/img/console/ by hand after looking).

mod common;

use std::process::Command;
use std::time::Duration;

use common::*;
use countersign_testkit::browser::Browser;
use serde_json::json;

const PASSWORD: &str = "correct horse battery staple";

fn oathtool_totp(secret_b32: &str) -> String {
    let out = Command::new("oathtool")
        .args(["--totp", "-b", secret_b32])
        .output()
        .expect("oathtool runs (scripts/test installs it)");
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

async fn add_rule(browser: &Browser, server: &Server, fields: &[(&str, &str)]) {
    browser
        .goto(&server.url("/admin/rules"))
        .await
        .expect("rules");
    for (css, text) in fields {
        if css.starts_with("select") {
            let (select, value) = (css.trim_start_matches("select"), text);
            let script = format!("document.querySelector('{select}').value = '{value}'");
            browser.execute(&script, vec![]).await.expect("select");
        } else {
            browser.fill(css, text).await.expect("fill");
        }
    }
    browser
        .click_and_load("#rule-form button[type=submit]")
        .await
        .expect("add");
}

#[tokio::test]
async fn rules_page_and_tester_in_a_browser() {
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
    let api = server.api(&server.create_key("console-rules", "verify,admin"));
    api.post("/api/v1/users", json!({"username": "dana"}))
        .await
        .expect(201, "dana");
    api.post(
        "/api/v1/users/dana/tokens",
        json!({"type": "totp", "secret": RFC_SECRET_B32}),
    )
    .await
    .expect(201, "token");

    let browser = Browser::start(1440, 900).await.expect("browser starts");
    browser
        .goto(&server.url("/admin/login"))
        .await
        .expect("open");
    browser.fill("#username", "root").await.expect("name");
    browser.fill("#password", PASSWORD).await.expect("pw");
    browser
        .click_and_load("button[type=submit]")
        .await
        .expect("submit");
    browser
        .wait_for("#secret", Duration::from_secs(5))
        .await
        .expect("enrolment page");
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
        .expect("dashboard");

    add_rule(
        &browser,
        &server,
        &[
            ("#r-name", "office"),
            ("#r-networks", "10.20.0.0/16"),
            ("select#r-outcome", "skip_second_factor"),
        ],
    )
    .await;
    add_rule(
        &browser,
        &server,
        &[
            ("#r-name", "contractors-push"),
            ("#r-groups", "contractors"),
            ("#r-methods", "push"),
        ],
    )
    .await;
    add_rule(
        &browser,
        &server,
        &[
            ("#r-name", "admins-passkey"),
            ("#r-groups", "IT Admins"),
            ("#r-doors", "portal, sso, oidc:*"),
            ("select#r-strength", "phishing_resistant"),
            ("#r-remember", "14"),
        ],
    )
    .await;
    // A bad network: refused next to the field, the rest kept.
    add_rule(
        &browser,
        &server,
        &[("#r-name", "broken"), ("#r-networks", "10.0.0.0/33")],
    )
    .await;
    let error = browser.text(".field-error").await.expect("field error");
    assert!(error.contains("10.0.0.0/33"), "{error}");
    assert_eq!(
        browser.attribute("#r-name", "value").await.expect("kept"),
        Some("broken".into())
    );

    // Move admins-passkey up twice: first, as the worked example has it.
    for _ in 0..2 {
        browser
            .goto(&server.url("/admin/rules"))
            .await
            .expect("rules");
        browser
            .click_and_load("form[action='/admin/rules/admins-passkey/move'] button")
            .await
            .expect("move up");
    }
    let listed = api.get("/api/v1/rules").await.expect(200, "list").clone();
    let names: Vec<&str> = listed["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .map(|r| r["name"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(names, ["admins-passkey", "office", "contractors-push"]);
    let table = browser.text("#rules").await.expect("table");
    assert!(table.contains("allow passkeys only"), "{table}");
    shoot(&browser, "rules").await;

    // Edit: the office rule also needs office hours in Berlin.
    browser
        .goto(&server.url("/admin/rules/office/edit"))
        .await
        .expect("edit");
    browser
        .fill("#r-hours", "07:00-20:00")
        .await
        .expect("hours");
    browser
        .fill("#r-zone", "Europe/Berlin")
        .await
        .expect("zone");
    browser
        .click_and_load("#rule-form button[type=submit]")
        .await
        .expect("save");
    let office = api
        .get("/api/v1/rules/office")
        .await
        .expect(200, "office")
        .clone();
    assert_eq!(
        (office["hours"].as_str(), office["position"].as_u64()),
        (Some("07:00-20:00"), Some(1)),
        "{office}"
    );

    // The tester: dana from the office at 10:00 Berlin, and from elsewhere.
    browser
        .goto(&server.url("/admin/rules/test"))
        .await
        .expect("tester");
    browser.fill("#t-user", "dana").await.expect("user");
    browser.fill("#t-door", "radius:vpn").await.expect("door");
    browser
        .fill("#t-address", "10.20.1.5")
        .await
        .expect("address");
    browser
        .fill("#t-at", "2026-12-07T09:00:00Z")
        .await
        .expect("at");
    browser
        .click_and_load("main form button[type=submit]")
        .await
        .expect("test");
    let told = browser.text("#outcome").await.expect("outcome");
    assert!(
        told.contains("Accepted without a second factor") && told.contains("office"),
        "{told}"
    );
    shoot(&browser, "rule-tester").await;
    browser
        .fill("#t-address", "203.0.113.9")
        .await
        .expect("address");
    browser
        .click_and_load("main form button[type=submit]")
        .await
        .expect("test");
    let told = browser.text("#outcome").await.expect("outcome");
    assert!(
        told.contains("Asked for otp") && told.contains("none: the default"),
        "{told}"
    );

    // Remove: the list has two left.
    browser
        .goto(&server.url("/admin/rules"))
        .await
        .expect("rules");
    browser
        .execute("window.confirm = () => true", vec![])
        .await
        .expect("confirm");
    browser
        .click_and_load("form[action='/admin/rules/contractors-push/remove'] button")
        .await
        .expect("remove");
    let listed = api.get("/api/v1/rules").await.expect(200, "list").clone();
    assert_eq!(listed["rules"].as_array().expect("rules").len(), 2);
    browser.close().await;
}
