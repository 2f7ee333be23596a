//! Requests dropped for the set-up (unknown client, wrong or missing
//! Message-Authenticator) are logged at WARN naming the address and the
//! fix, once a minute per client at most, and recorded so that
//! `countersign doctor`, another process, lists them with the fix.

mod common;
mod radius_peers;

use std::process::Stdio;
use std::time::Duration;

use common::*;
use radius_peers::*;
use serde_json::Value;

const SECRET: &str = "countersign-secret-0123";
const SILENCE: Duration = Duration::from_millis(300);

fn doctor(node: &RadiusNode) -> Vec<Value> {
    let output = node
        .server
        .command()
        .args(["--json", "doctor"])
        .stdin(Stdio::null())
        .output()
        .expect("run countersign doctor");
    let findings: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "doctor --json ({e}): {}{}",
            stdout(&output),
            stderr(&output)
        )
    });
    findings.as_array().expect("an array of findings").clone()
}

/// The radius.drops finding whose message mentions `needle`.
fn drop_finding<'a>(findings: &'a [Value], needle: &str) -> &'a Value {
    findings
        .iter()
        .filter(|f| f["check"] == "radius.drops")
        .find(|f| f["message"].as_str().unwrap_or_default().contains(needle))
        .unwrap_or_else(|| panic!("no radius.drops finding about {needle}: {findings:#?}"))
}

#[tokio::test]
async fn drops_are_warned_once_a_minute_and_listed_by_doctor() {
    let branch: &[&str] = &[
        "--name",
        "branch",
        "--address",
        "127.0.0.2",
        "--secret",
        SECRET,
    ];
    let legacy: &[&str] = &[
        "--name",
        "old-ap",
        "--address",
        "127.0.0.3",
        "--secret",
        SECRET,
    ];
    let node = RadiusNode::start(&Db::sqlite(), &[branch, legacy]).await;
    let findings = doctor(&node);
    let quiet = findings.iter().find(|f| f["check"] == "radius.drops");
    assert_eq!(
        quiet.map(|f| f["status"].clone()),
        Some("pass".into()),
        "{findings:#?}"
    );

    // An unknown address, a wrong secret (twice), no Message-Authenticator.
    let stranger = Nas::bind("127.0.0.1", node.port, SECRET).await;
    stranger
        .send(&stranger.request(1, "erin", "123456", Vec::new()).0)
        .await;
    let typo = Nas::bind("127.0.0.2", node.port, "not-the-secret").await;
    typo.send(&typo.request(2, "erin", "123456", Vec::new()).0)
        .await;
    typo.send(&typo.request(3, "erin", "123456", Vec::new()).0)
        .await;
    let old = Nas::bind("127.0.0.3", node.port, SECRET).await;
    old.send(
        &old.request_without_message_authenticator(4, "erin", "123456")
            .0,
    )
    .await;
    node.wait_metric(
        r#"countersign_radius_dropped_total{cause="bad_message_authenticator"}"#,
        2,
    )
    .await;
    node.wait_metric(
        r#"countersign_radius_dropped_total{cause="unknown_client"}"#,
        1,
    )
    .await;
    node.wait_metric(
        r#"countersign_radius_dropped_total{cause="missing_message_authenticator"}"#,
        1,
    )
    .await;
    assert!(
        typo.receive(SILENCE).await.is_none(),
        "a dropped request gets no answer"
    );

    node.wait_log("RADIUS request from 127.0.0.1 dropped: unknown client")
        .await;
    node.wait_log("RADIUS request from 127.0.0.3 dropped").await;
    let log = node.server.stderr();
    let warnings: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("RADIUS request from 127.0.0.2 dropped"))
        .collect();
    assert_eq!(warnings.len(), 1, "one warning a minute per client:\n{log}");
    assert!(warnings[0].contains("WARN"), "{}", warnings[0]);
    assert!(warnings[0].contains("shared secret"), "{}", warnings[0]);
    assert!(
        log.contains("countersign radius client add"),
        "the fix for the unknown one:\n{log}"
    );
    assert!(
        log.contains("turn on Message-Authenticator on the NAS"),
        "{log}"
    );
    for secret in [SECRET, "not-the-secret"] {
        assert!(!log.contains(secret), "no secret in the log");
    }

    // The console lists them per client too.
    common::console::add_admin(&node.server, "root", "admin");
    let mut console = common::console::Visitor::new(&node.server.base());
    console.sign_in("root").await;
    let page = console.get("/admin/clients").await;
    let drops = common::console::between(&page.body, "id=\"drops\"", "</table>");
    for expected in [
        "branch",
        "bad_message_authenticator",
        "127.0.0.1",
        "unknown_client",
        "old-ap",
    ] {
        assert!(
            drops.contains(expected),
            "{expected} in the console's drops: {drops}"
        );
    }

    let findings = doctor(&node);
    let unknown = drop_finding(&findings, "127.0.0.1");
    assert_eq!(unknown["status"], "warn");
    assert!(
        unknown["fix"]
            .as_str()
            .unwrap_or_default()
            .contains("countersign radius client add"),
        "{unknown}"
    );
    let typo = drop_finding(&findings, "client 'branch'");
    assert!(
        typo["message"]
            .as_str()
            .unwrap_or_default()
            .contains("1 RADIUS request"),
        "counted at the first warning: {typo}"
    );
    assert!(
        typo["fix"]
            .as_str()
            .unwrap_or_default()
            .contains("shared secret"),
        "{typo}"
    );
    let old = drop_finding(&findings, "client 'old-ap'");
    assert!(
        old["fix"]
            .as_str()
            .unwrap_or_default()
            .contains("Message-Authenticator on the NAS"),
        "{old}"
    );
}
