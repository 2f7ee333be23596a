//! The signed commands as processes against a stand-in server: `watch`
//! over the event stream and by polling, `approve`, `deny`, `fraud`,
//! `pending` and the offline `code`. The stand-in checks every signature.

mod common;

use std::sync::Arc;

use common::cli::{run, signature_ok, stderr, stdout, write_store};
use common::server::{Reply, Seen, TinyServer};
use countersign_otp::{base32, totp, Algorithm};
use countersign_testkit::TempDir;
use serde_json::Value;

const REQUEST: &str = r#"{"id":"txn_1","user":"alice","application":"VPN","client_address":"203.0.113.7","created_at":"2026-11-23T15:00:00Z","expires_at":"2026-11-23T15:01:00Z","number_matching":true,"pin_required":false}"#;

fn json_reply(status: u16, body: &str) -> Reply {
    (status, "application/json", body.to_owned())
}

/// A stand-in device API; `events` decides whether the stream opens.
fn device_api(events: bool, answer: &'static str) -> impl Fn(&Seen) -> Reply {
    move |seen: &Seen| match (seen.method.as_str(), seen.path.as_str()) {
        ("GET", "/device/v1/events") if events => (
            200,
            "text/event-stream",
            format!(": keep-alive\n\nevent: request\ndata: {REQUEST}\n\n"),
        ),
        ("GET", "/device/v1/events") => json_reply(
            404,
            r#"{"error":{"code":"not_found","message":"no events here"}}"#,
        ),
        ("GET", "/device/v1/requests") if events => json_reply(200, r#"{"requests":[]}"#),
        ("GET", "/device/v1/requests") => {
            json_reply(200, &format!(r#"{{"requests":[{REQUEST}]}}"#))
        }
        ("POST", "/device/v1/requests/txn_1/answer") => json_reply(200, answer),
        _ => json_reply(
            404,
            r#"{"error":{"code":"not_found","message":"no route"}}"#,
        ),
    }
}

struct Setup {
    dir: TempDir,
    server: TinyServer,
    store: String,
    public_key: String,
}

async fn setup(label: &str, events: bool, answer: &'static str) -> Setup {
    let server = TinyServer::start(None, Arc::new(device_api(events, answer))).await;
    let dir = TempDir::new(label);
    let path = dir.join("store.json");
    let key = write_store(&path, &format!("http://127.0.0.1:{}/", server.port));
    Setup {
        store: path.to_string_lossy().into_owned(),
        public_key: key.public_key_base64(),
        dir,
        server,
    }
}

impl Setup {
    async fn run(&self, args: &[&str]) -> std::process::Output {
        let mut all = vec!["--store", self.store.as_str()];
        all.extend_from_slice(args);
        run(&all, &[], self.dir.path()).await
    }

    fn all_signed(&self) {
        let requests = self.server.requests();
        assert!(!requests.is_empty());
        for seen in &requests {
            assert!(
                signature_ok(seen, &self.public_key),
                "bad signature on {} {}",
                seen.method,
                seen.path
            );
        }
    }

    fn answer_body(&self) -> Value {
        let seen = self.server.requests();
        let answer = seen
            .iter()
            .find(|s| s.method == "POST")
            .expect("an answer was sent");
        serde_json::from_slice(&answer.body).expect("JSON answer")
    }
}

#[tokio::test]
async fn watch_auto_approve_over_the_event_stream() {
    let s = setup("watch-sse", true, r#"{"result":"accepted"}"#).await;
    let out = s
        .run(&[
            "--json", "watch", "--auto", "approve", "--number", "42", "--once",
        ])
        .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let line: Value = serde_json::from_str(stdout(&out).trim()).expect("one JSON line");
    assert_eq!(line["request"]["application"], "VPN");
    assert_eq!(line["request"]["client_address"], "203.0.113.7");
    assert_eq!(line["result"]["result"], "accepted");
    assert_eq!(
        s.answer_body(),
        serde_json::json!({"answer": "approve", "number": 42})
    );
    s.all_signed();
}

#[tokio::test]
async fn watch_polls_when_the_stream_cannot_be_opened() {
    let s = setup("watch-poll", false, r#"{"result":"accepted"}"#).await;
    let out = s.run(&["watch", "--once"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("txn_1") && text.contains("VPN") && text.contains("203.0.113.7"),
        "{text}"
    );
    assert!(text.contains("2026-11-23T15:00:00Z"), "{text}");
    assert!(
        stderr(&out).contains("polling every 2 s"),
        "{}",
        stderr(&out)
    );
    s.all_signed();
}

#[tokio::test]
async fn watch_auto_approve_without_the_number_does_not_answer() {
    let s = setup("watch-nonumber", true, r#"{"result":"accepted"}"#).await;
    let out = s.run(&["watch", "--auto", "approve", "--once"]).await;
    assert_eq!(out.status.code(), Some(3));
    assert!(stderr(&out).contains("--number N"), "{}", stderr(&out));
    assert!(s.server.requests().iter().all(|r| r.method == "GET"));
}

#[tokio::test]
async fn approve_with_pin_sends_the_proof() {
    let s = setup("approve", true, r#"{"result":"accepted"}"#).await;
    let out = s
        .run(&["approve", "txn_1", "--number", "42", "--pin", "1234"])
        .await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("accepted"));
    let body = s.answer_body();
    assert_eq!(
        body["pin_proof"],
        countersign_authenticator::user_pin::pin_proof("1234", "txn_1")
    );
    s.all_signed();
}

#[tokio::test]
async fn a_refused_approval_exits_non_zero() {
    let s = setup(
        "mismatch",
        true,
        r#"{"result":"rejected","reason":"number_mismatch"}"#,
    )
    .await;
    let out = s
        .run(&["--json", "approve", "txn_1", "--number", "41"])
        .await;
    assert_eq!(out.status.code(), Some(3));
    let line: Value = serde_json::from_str(stdout(&out).trim()).expect("JSON");
    assert_eq!(line["reason"], "number_mismatch");
}

#[tokio::test]
async fn deny_and_fraud_are_sent() {
    let s = setup(
        "deny",
        true,
        r#"{"result":"rejected","reason":"push_denied"}"#,
    )
    .await;
    let out = s.run(&["deny", "txn_1"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("push_denied"));
    assert_eq!(s.answer_body(), serde_json::json!({"answer": "deny"}));

    let s = setup(
        "fraud",
        true,
        r#"{"result":"rejected","reason":"fraud_reported"}"#,
    )
    .await;
    let out = s.run(&["fraud", "txn_1"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(s.answer_body(), serde_json::json!({"answer": "fraud"}));
    s.all_signed();
}

#[tokio::test]
async fn an_unknown_request_exits_non_zero() {
    let s = setup("unknown", true, "{}").await;
    let out = s.run(&["deny", "txn_404"]).await;
    assert_eq!(out.status.code(), Some(3));
    assert!(stderr(&out).contains("not_found"), "{}", stderr(&out));
}

#[tokio::test]
async fn pending_lists_requests() {
    let s = setup("pending", false, "{}").await;
    let out = s.run(&["--json", "pending"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let list: Value = serde_json::from_str(stdout(&out).trim()).expect("JSON");
    assert_eq!(list["requests"][0]["id"], "txn_1");
    s.all_signed();
}

#[tokio::test]
async fn code_works_offline() {
    let dir = TempDir::new("code");
    let path = dir.join("store.json");
    write_store(&path, "http://127.0.0.1:9/");
    let secret = base32::decode("JBSWY3DPEHPK3PXP").expect("seed");
    let now = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .as_secs()
    };
    let before = totp(&secret, now(), 30, 6, Algorithm::Sha1);
    let out = run(
        &["--store", &path.to_string_lossy(), "--json", "code"],
        &[],
        dir.path(),
    )
    .await;
    let after = totp(&secret, now(), 30, 6, Algorithm::Sha1);
    assert!(out.status.success(), "{}", stderr(&out));
    let line: Value = serde_json::from_str(stdout(&out).trim()).expect("JSON");
    let code = line["code"].as_str().expect("code");
    assert!(
        code == before || code == after,
        "{code} vs {before}/{after}"
    );
}
