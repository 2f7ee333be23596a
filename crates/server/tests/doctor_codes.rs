//! `doctor` on codes and channels: users whose only methods cannot be
//! delivered are named, the send limits are shown, and texts allowed to
//! every country are a warning.

mod common;

use common::*;
use serde_json::Value;

fn findings(server: &Server, env: &[(&str, &str)]) -> Vec<Value> {
    let output = server
        .command()
        .envs(env.iter().copied())
        .args(["--json", "doctor"])
        .output()
        .expect("run countersign doctor");
    serde_json::from_str(&stdout(&output)).expect("doctor --json prints JSON")
}

fn find<'a>(findings: &'a [Value], check: &str) -> &'a Value {
    findings
        .iter()
        .find(|f| f["check"] == check)
        .unwrap_or_else(|| panic!("no {check} in {findings:#?}"))
}

#[tokio::test]
async fn users_stranded_without_their_channel_are_listed() {
    let server = Server::new(&Db::sqlite());
    server.cli_ok(&["user", "add", "phil", "--phone", "+441632960123"]);
    server.cli_ok(&["user", "add", "tess", "--phone", "+441632960124"]);
    server.cli_ok(&["token", "add", "tess"]);
    server.cli_ok(&["user", "add", "nobody-yet"]);

    let none = findings(&server, &[]);
    let stranded = find(&none, "codes.undeliverable");
    assert_eq!(stranded["status"], "warn", "{stranded}");
    let message = stranded["message"].as_str().unwrap_or_default();
    assert!(message.contains("phil"), "{message}");
    assert!(!message.contains("tess"), "tess has a token: {message}");
    assert!(
        !message.contains("nobody-yet"),
        "no method at all is another matter: {message}"
    );
    assert!(stranded["fix"]
        .as_str()
        .unwrap_or_default()
        .contains("[sms]"));
    assert_eq!(find(&none, "codes.countries")["status"], "pass");
    let limits = find(&none, "codes.limits")["message"].to_string();
    assert!(
        limits.contains("10 per user") && limits.contains("5 per destination"),
        "{limits}"
    );

    let sms = [
        ("COUNTERSIGN_SMS_GATEWAY", "http"),
        ("COUNTERSIGN_SMS_URL", "http://127.0.0.1:9/send"),
        ("COUNTERSIGN_SMTP_HOST", "127.0.0.1"),
        ("COUNTERSIGN_SMTP_PORT", "9"),
    ];
    let both = findings(&server, &sms);
    assert_eq!(find(&both, "codes.undeliverable")["status"], "pass");
    assert_eq!(find(&both, "codes.countries")["status"], "warn");
    let mut limited = sms.to_vec();
    limited.push(("COUNTERSIGN_CODES_ALLOWED_COUNTRY_PREFIXES", "+44, +353"));
    let allowed = findings(&server, &limited);
    let countries = find(&allowed, "codes.countries");
    assert_eq!(countries["status"], "pass", "{countries}");
    assert!(
        countries["message"].to_string().contains("+44"),
        "{countries}"
    );
}
