//! Who may read `/metrics`: anyone by default (and `doctor` warns), only a
//! scraper with the bearer token of `metrics.token`, or only on the
//! listener of `metrics.listen` (then the main listener answers 404).

mod common;

use common::*;
use countersign_testkit::free_port;
use reqwest::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use serde_json::Value;

async fn scrape(url: &str, token: Option<&str>) -> (u16, String, Option<String>) {
    let mut request = reqwest::Client::new().get(url);
    if let Some(token) = token {
        request = request.header(AUTHORIZATION, format!("Bearer {token}"));
    }
    let reply = request.send().await.expect("GET /metrics answers");
    let status = reply.status().as_u16();
    let challenge = reply
        .headers()
        .get(WWW_AUTHENTICATE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    (status, reply.text().await.unwrap_or_default(), challenge)
}

/// The `metrics.access` finding of `countersign --json doctor`.
fn doctor_finding(server: &Server) -> Value {
    // Other checks may FAIL here (no TLS, no clock source): only the output counts.
    let output = server.cli(&["--json", "doctor"]);
    let report: Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("doctor --json printed no JSON ({e}): {}", stderr(&output)));
    report
        .as_array()
        .and_then(|all| all.iter().find(|f| f["check"] == "metrics.access"))
        .cloned()
        .unwrap_or_else(|| panic!("doctor has no metrics.access finding: {report}"))
}

#[tokio::test]
async fn open_by_default_and_doctor_says_so() {
    let server = Server::start(&Db::sqlite()).await;
    let (status, text, _) = scrape(&server.url("/metrics"), None).await;
    assert_eq!(status, 200, "{text}");
    assert!(text.contains("countersign_up 1"), "{text}");
    let finding = doctor_finding(&server);
    assert_eq!(finding["status"], "warn", "{finding}");
    assert!(
        finding["fix"]
            .as_str()
            .unwrap_or("")
            .contains("metrics.token"),
        "{finding}"
    );
}

#[tokio::test]
async fn a_token_is_wanted_when_set() {
    let token = "scrape-me-7c1f0a";
    let server = Server::start_with(&Db::sqlite(), &[("COUNTERSIGN_METRICS_TOKEN", token)]).await;
    let url = server.url("/metrics");
    let (status, body, challenge) = scrape(&url, None).await;
    assert_eq!(status, 401, "without the token: {body}");
    assert_eq!(challenge.as_deref(), Some("Bearer realm=\"metrics\""));
    assert!(
        body.contains("metrics.token"),
        "the refusal names the setting: {body}"
    );
    assert_eq!(scrape(&url, Some("wrong")).await.0, 401, "a wrong token");
    let (status, text, _) = scrape(&url, Some(token)).await;
    assert_eq!(status, 200, "{text}");
    assert!(text.contains("countersign_up 1"), "{text}");
    assert_eq!(doctor_finding(&server)["status"], "pass");
}

#[tokio::test]
async fn its_own_listener_serves_it_and_the_main_one_does_not() {
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let server = Server::start_with(
        &Db::sqlite(),
        &[("COUNTERSIGN_METRICS_LISTEN", listen.as_str())],
    )
    .await;
    let (status, _, _) = scrape(&server.url("/metrics"), None).await;
    assert_eq!(status, 404, "the main listener no longer serves /metrics");
    let (status, text, _) = scrape(&format!("http://{listen}/metrics"), None).await;
    assert_eq!(status, 200, "{text}");
    assert!(text.contains("countersign_verifications_total"), "{text}");
    let finding = doctor_finding(&server);
    assert_eq!(finding["status"], "pass", "{finding}");
    assert!(
        finding["message"].as_str().unwrap_or("").contains(&listen),
        "{finding}"
    );
}
