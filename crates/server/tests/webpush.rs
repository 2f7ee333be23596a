//! Web Push sending against an independent receiver made from others' code
//! (Python `http_ece` and `cryptography`, tests/peers/webpush_receiver.py)
//! acting as the push service on 127.0.0.1: it checks the VAPID JWT (aud,
//! exp ≤ 24 h, sub, the ES256 signature) and decrypts each message; here
//! the message must be the transaction id, a 410 must drop the
//! subscription and a 429 must be retried after its Retry-After.

mod common;
mod device;

use std::io::BufRead;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use device::Device;
use serde_json::{json, Value};

const SCRIPT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/peers/webpush_receiver.py"
);

struct Receiver {
    child: Child,
    log: std::path::PathBuf,
    _dir: countersign_testkit::TempDir,
    keys: Value,
}

impl Receiver {
    fn start() -> Receiver {
        let dir = countersign_testkit::TempDir::new("webpush-receiver");
        let log = dir.path().join("received.jsonl");
        let port = countersign_testkit::free_port();
        let mut child = Command::new(countersign_testkit::python())
            .args([SCRIPT, &port.to_string(), &log.display().to_string()])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start the Web Push receiver (scripts/test installs http_ece and cryptography): {e}"));
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        std::io::BufReader::new(stdout)
            .read_line(&mut line)
            .expect("the receiver prints its keys");
        let keys: Value = serde_json::from_str(&line).unwrap_or_else(|e| {
            panic!("the receiver printed '{line}': {e} (are http_ece and cryptography installed?)")
        });
        Receiver {
            child,
            log,
            _dir: dir,
            keys,
        }
    }

    fn endpoint(&self, path: &str) -> String {
        format!(
            "{}/push/{path}",
            self.keys["origin"].as_str().expect("origin")
        )
    }

    fn subscription(&self, path: &str) -> Value {
        json!({"endpoint": self.endpoint(path), "expirationTime": null,
               "keys": {"p256dh": self.keys["p256dh"], "auth": self.keys["auth"]}})
    }

    fn received(&self) -> Vec<Value> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }

    /// Waits until `count` messages reached `path`.
    async fn wait_for(&self, path: &str, count: usize) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let seen: Vec<Value> = self
                .received()
                .into_iter()
                .filter(|r| r["path"] == format!("/push/{path}"))
                .collect();
            if seen.len() >= count {
                return seen;
            }
            assert!(
                Instant::now() < deadline,
                "{count} message(s) to {path} expected, {} came: {seen:?}",
                seen.len()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The device's entry in the devices API.
async fn device_entry(admin: &Api, id: &str) -> Value {
    let list = admin.get("/api/v1/users/alice/devices").await;
    list.expect(200, "devices")["devices"]
        .as_array()
        .expect("devices")
        .iter()
        .find(|d| d["id"] == id)
        .cloned()
        .unwrap_or(Value::Null)
}

async fn wait_result(admin: &Api, id: &str, expected: Option<&str>) -> Value {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let entry = device_entry(admin, id).await;
        let result = entry["web_push"]["last_result"].as_str();
        let done = match expected {
            Some(e) => result == Some(e),
            None => entry["web_push"].is_null(),
        };
        if done {
            return entry;
        }
        assert!(
            Instant::now() < deadline,
            "device {id} never showed web push {expected:?}: {entry}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn alice(admin: &Api, base: &str) -> Device {
    admin
        .post("/api/v1/users", json!({"username": "alice"}))
        .await
        .expect(201, "alice");
    Device::enrol(admin, base, "alice").await
}

#[tokio::test]
async fn messages_reach_the_receiver_encrypted_with_a_valid_vapid_jwt_sqlite() {
    messages_reach_the_receiver(Db::sqlite()).await;
}

#[tokio::test]
async fn messages_reach_the_receiver_encrypted_with_a_valid_vapid_jwt_postgres() {
    messages_reach_the_receiver(Db::postgres().await).await;
}

async fn messages_reach_the_receiver(db: Db) {
    let receiver = Receiver::start();
    let server = Server::start_with(
        &db,
        &[
            ("COUNTERSIGN_WEB_PUSH_ALLOW_HTTP", "true"),
            // The receiver is on the loopback, which endpoints may not reach otherwise.
            ("COUNTERSIGN_WEB_PUSH_ALLOWED_NETWORKS", "127.0.0.1"),
            ("COUNTERSIGN_WEB_PUSH_SUBJECT", "mailto:ops@example.org"),
            ("COUNTERSIGN_PUSH_TIMEOUT_SECONDS", "30"),
            ("COUNTERSIGN_PUSH_PER_MINUTE", "60"),
        ],
    )
    .await;
    let admin = server.api(&server.create_key("admin", "verify,admin"));
    let phone = alice(&admin, &server.base()).await;
    let vapid = phone.activation["web_push"]["vapid_public_key"]
        .as_str()
        .expect("the activation answer gives the VAPID key")
        .to_string();
    assert_eq!(vapid.len(), 87, "65 bytes in base64url: {vapid}");

    let (status, body) = phone
        .signed(
            "PUT",
            "/device/v1/webpush",
            Some(receiver.subscription("ok/phone")),
        )
        .await;
    assert_eq!(status, 204, "{body}");
    let entry = device_entry(&admin, &phone.id).await;
    assert!(entry["web_push"]["subscribed_at"].is_string(), "{entry}");

    let started = Instant::now();
    let reply = admin
        .post(
            "/api/v1/verify",
            json!({"username": "alice", "method": "push"}),
        )
        .await;
    let answered_in = started.elapsed();
    let id = reply.expect(200, "push")["transaction_id"]
        .as_str()
        .expect("id")
        .to_string();
    let seen = receiver.wait_for("ok/phone", 1).await;
    let message = &seen[0];
    assert_eq!(message["problems"], json!([]), "{message}");
    let plaintext: Value =
        serde_json::from_str(message["plaintext"].as_str().expect("decrypted")).expect("JSON");
    assert_eq!(plaintext["transaction_id"], id.as_str());
    assert!(plaintext["label"].as_str().expect("label").len() <= 64);
    assert_eq!(
        plaintext.as_object().expect("object").len(),
        2,
        "only the id and a label: {plaintext}"
    );
    assert_eq!(message["claims"]["sub"], "mailto:ops@example.org");
    assert_eq!(message["claims"]["k"], vapid.as_str());
    assert_eq!(message["urgency"], "high");
    let ttl: i64 = message["ttl"]
        .as_str()
        .expect("TTL")
        .parse()
        .expect("number");
    assert!((1..=30).contains(&ttl), "TTL is the push timeout: {ttl}");
    assert!(
        answered_in < Duration::from_secs(2),
        "the verify answer does not wait for Web Push: {answered_in:?}"
    );
    wait_result(&admin, &phone.id, Some("delivered")).await;

    // Unsubscribed: no more messages.
    let (status, _) = phone.signed("DELETE", "/device/v1/webpush", None).await;
    assert_eq!(status, 204);
    assert!(device_entry(&admin, &phone.id).await["web_push"].is_null());
}

#[tokio::test]
async fn gone_drops_the_subscription_and_too_many_requests_is_retried() {
    let receiver = Receiver::start();
    let db = Db::sqlite();
    let server = Server::start_with(
        &db,
        &[
            ("COUNTERSIGN_WEB_PUSH_ALLOW_HTTP", "true"),
            // The receiver is on the loopback, which endpoints may not reach otherwise.
            ("COUNTERSIGN_WEB_PUSH_ALLOWED_NETWORKS", "127.0.0.1"),
            ("COUNTERSIGN_PUSH_TIMEOUT_SECONDS", "30"),
        ],
    )
    .await;
    let admin = server.api(&server.create_key("admin", "verify,admin"));
    let gone = alice(&admin, &server.base()).await;
    let busy = Device::enrol(&admin, &server.base(), "alice").await;
    for (device, path) in [(&gone, "gone/a"), (&busy, "busy/b")] {
        let (status, body) = device
            .signed(
                "PUT",
                "/device/v1/webpush",
                Some(receiver.subscription(path)),
            )
            .await;
        assert_eq!(status, 204, "{body}");
    }
    admin
        .post(
            "/api/v1/verify",
            json!({"username": "alice", "method": "push"}),
        )
        .await
        .expect(200, "push");

    // 410: the subscription is dropped.
    let seen = receiver.wait_for("gone/a", 1).await;
    assert_eq!(seen[0]["answered"], 410);
    wait_result(&admin, &gone.id, None).await;

    // 429 with Retry-After: 1, then delivered on the second attempt.
    let seen = receiver.wait_for("busy/b", 2).await;
    assert_eq!(seen[0]["answered"], 429);
    assert_eq!(seen[1]["answered"], 201);
    let waited = seen[1]["at"].as_f64().expect("at") - seen[0]["at"].as_f64().expect("at");
    assert!(waited >= 0.9, "Retry-After was respected: {waited} s");
    for message in &seen {
        assert_eq!(message["problems"], json!([]), "{message}");
    }
    wait_result(&admin, &busy.id, Some("delivered")).await;

    let metrics = server
        .anonymous()
        .request(reqwest::Method::GET, "/metrics")
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    for line in [
        "countersign_webpush_sends_total{outcome=\"delivered\"} 1",
        "countersign_webpush_sends_total{outcome=\"gone\"} 1",
        "countersign_webpush_retries_total{cause=\"rate_limited\"} 1",
    ] {
        assert!(metrics.contains(line), "{line} not in /metrics:\n{metrics}");
    }
}

#[tokio::test]
async fn subscriptions_are_checked_and_refused_when_web_push_is_off() {
    let db = Db::sqlite();
    let server = Server::start(&db).await;
    let admin = server.api(&server.create_key("admin", "verify,admin"));
    let phone = alice(&admin, &server.base()).await;
    let keys = json!({"p256dh": "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4", "auth": "BTBZMqHH6r4Tts7J_aSIgg"});
    let (status, body) = phone
        .signed(
            "PUT",
            "/device/v1/webpush",
            Some(json!({"endpoint": "http://127.0.0.1:9/push", "keys": keys})),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (422, Some("invalid_request")),
        "http needs web_push.allow_http: {body}"
    );
    let (status, body) = phone
        .signed("PUT", "/device/v1/webpush",
            Some(json!({"endpoint": "https://push.example.net/x", "keys": {"p256dh": "AAAA", "auth": "BTBZMqHH6r4Tts7J_aSIgg"}})))
        .await;
    assert_eq!(status, 422, "a bad p256dh: {body}");
    let (status, _) = phone
        .signed(
            "PUT",
            "/device/v1/webpush",
            Some(json!({"endpoint": "https://push.example.net/x", "keys": keys})),
        )
        .await;
    assert_eq!(status, 204);
    let (status, body) = phone
        .send(
            "PUT",
            "/device/v1/webpush",
            Some(json!({"endpoint": "https://push.example.net/x", "keys": keys})),
            vec![],
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("signature_missing"))
    );

    let off_db = Db::sqlite();
    let off = Server::start_with(&off_db, &[("COUNTERSIGN_WEB_PUSH_ENABLED", "false")]).await;
    let admin = off.api(&off.create_key("admin", "verify,admin"));
    let phone = alice(&admin, &off.base()).await;
    assert!(
        phone.activation.get("web_push").is_none(),
        "{}",
        phone.activation
    );
    let (status, body) = phone
        .signed(
            "PUT",
            "/device/v1/webpush",
            Some(json!({"endpoint": "https://push.example.net/x", "keys": keys})),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("web_push_off")),
        "{body}"
    );
}

#[tokio::test]
async fn the_vapid_key_is_the_same_on_every_node() {
    let db = Db::postgres().await;
    let nodes = Server::start_together(&db, 2, &[]).await;
    let admin = nodes[0].api(&nodes[0].create_key("admin", "verify,admin"));
    admin
        .post("/api/v1/users", json!({"username": "alice"}))
        .await
        .expect(201, "alice");
    let mut keys = Vec::new();
    for node in &nodes {
        let phone = Device::enrol(&admin, &node.base(), "alice").await;
        keys.push(phone.activation["web_push"]["vapid_public_key"].clone());
    }
    assert!(keys[0].is_string(), "{keys:?}");
    assert_eq!(
        keys[0], keys[1],
        "nodes started together share one VAPID key"
    );
}

#[tokio::test]
async fn no_retry_wakes_the_phone_for_a_request_already_answered() {
    let receiver = Receiver::start();
    let db = Db::sqlite();
    let server = Server::start_with(
        &db,
        &[
            ("COUNTERSIGN_WEB_PUSH_ALLOW_HTTP", "true"),
            // The receiver is on the loopback, which endpoints may not reach otherwise.
            ("COUNTERSIGN_WEB_PUSH_ALLOWED_NETWORKS", "127.0.0.1"),
            ("COUNTERSIGN_PUSH_TIMEOUT_SECONDS", "30"),
            ("COUNTERSIGN_PUSH_NUMBER_MATCHING", "false"),
        ],
    )
    .await;
    let admin = server.api(&server.create_key("admin", "verify,admin"));
    let phone = alice(&admin, &server.base()).await;
    let (status, body) = phone
        .signed(
            "PUT",
            "/device/v1/webpush",
            Some(receiver.subscription("busy/c")),
        )
        .await;
    assert_eq!(status, 204, "{body}");
    let reply = admin
        .post(
            "/api/v1/verify",
            json!({"username": "alice", "method": "push"}),
        )
        .await;
    let id = reply.expect(200, "push")["transaction_id"]
        .as_str()
        .expect("id")
        .to_string();
    let seen = receiver.wait_for("busy/c", 1).await;
    assert_eq!(seen[0]["answered"], 429);
    // Answered over the event stream's API before the Retry-After is over.
    let (status, body) = phone.answer(&id, json!({"answer": "approve"})).await;
    assert_eq!(
        (status, body["result"].as_str()),
        (200, Some("accepted")),
        "{body}"
    );
    wait_result(&admin, &phone.id, Some("answered")).await;
    assert_eq!(
        receiver
            .received()
            .iter()
            .filter(|r| r["path"] == "/push/busy/c")
            .count(),
        1,
        "no second message for an answered request"
    );
}
