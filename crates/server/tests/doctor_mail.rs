//! The doctor's mail checks: an unreachable SMTP server and an unreadable
//! attachment are reported with what to do; a live sink passes.

mod common;

use common::*;
use countersign_testkit::free_port;
use countersign_testkit::smtp_sink::SmtpSink;
use serde_json::Value;

fn doctor(server: &Server, env: &[(&str, String)]) -> (i32, Vec<Value>) {
    let mut command = server.command();
    command.args(["doctor", "--json"]);
    for (name, value) in env {
        command.env(name, value);
    }
    let output = command.output().expect("run doctor");
    let findings: Vec<Value> = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|_| panic!("doctor JSON: {}", stdout(&output)));
    (output.status.code().unwrap_or(-1), findings)
}

fn finding<'a>(findings: &'a [Value], check: &str) -> &'a Value {
    findings
        .iter()
        .find(|f| f["check"] == check)
        .unwrap_or_else(|| panic!("no {check} finding in {findings:?}"))
}

#[test]
fn unreachable_smtp_and_unreadable_attachment_fail() {
    let db = Db::sqlite();
    let server = Server::new(&db);
    let port = free_port().to_string();
    let env = [
        ("COUNTERSIGN_SMTP_HOST", "127.0.0.1".to_string()),
        ("COUNTERSIGN_SMTP_PORT", port.clone()),
        ("COUNTERSIGN_SMTP_TLS", "none".to_string()),
        (
            "COUNTERSIGN_EMAIL_ATTACHMENTS",
            "/nonexistent/share/guide.pdf".to_string(),
        ),
    ];
    let (code, findings) = doctor(&server, &env);
    assert_eq!(code, 1, "FAIL makes the exit code 1");
    let smtp = finding(&findings, "mail.smtp");
    assert_eq!(smtp["status"], "fail", "{smtp}");
    assert!(
        smtp["message"].as_str().unwrap_or_default().contains(&port),
        "names the port: {smtp}"
    );
    assert!(!smtp["fix"].as_str().unwrap_or_default().is_empty());
    let attachment = finding(&findings, "mail.attachments");
    assert_eq!(attachment["status"], "fail");
    assert!(
        attachment["message"]
            .as_str()
            .unwrap_or_default()
            .contains("/nonexistent/share/guide.pdf"),
        "{attachment}"
    );
}

#[tokio::test]
async fn a_live_smtp_server_passes() {
    let sink = SmtpSink::start().await;
    let db = Db::sqlite();
    let server = Server::new(&db);
    let env = [
        ("COUNTERSIGN_SMTP_HOST", "127.0.0.1".to_string()),
        ("COUNTERSIGN_SMTP_PORT", sink.port.to_string()),
        ("COUNTERSIGN_SMTP_TLS", "none".to_string()),
    ];
    let (_, findings) = doctor(&server, &env);
    assert_eq!(
        finding(&findings, "mail.smtp")["status"],
        "pass",
        "{findings:?}"
    );
    assert_eq!(finding(&findings, "mail.attachments")["status"], "pass");
}

#[tokio::test]
async fn message_cli_sends_tests_and_lists_the_outbox() {
    let sink = SmtpSink::start().await;
    let db = Db::sqlite();
    let port = sink.port.to_string();
    let env = [
        ("COUNTERSIGN_SMTP_HOST", "127.0.0.1"),
        ("COUNTERSIGN_SMTP_PORT", port.as_str()),
        ("COUNTERSIGN_SMTP_TLS", "none"),
    ];
    let server = Server::with_env(&db, &env);
    server.cli_ok(&["message", "test-email", "ops@example.org"]);
    let message = sink.wait_for(1, std::time::Duration::from_secs(10)).await;
    assert_eq!(message["to"], "ops@example.org");
    let failed = server.cli(&["message", "test-sms", "+441632960123"]);
    assert!(!failed.status.success(), "no SMS gateway is configured");
    assert!(
        stderr(&failed).contains("sms.gateway"),
        "says what to set: {}",
        stderr(&failed)
    );
    let listed = server.cli_json(&["message", "list"]);
    assert!(
        listed.as_array().is_some_and(|a| a.is_empty()),
        "test messages bypass the outbox: {listed}"
    );
}
