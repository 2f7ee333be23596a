//! Web Push endpoints are chosen by the device, so the server refuses to
//! post to internal addresses (a blind SSRF on every push otherwise): a
//! literal loopback endpoint is refused at subscription, a name that
//! resolves to the loopback is refused when the push is sent, and
//! `web_push.allowed_networks` lets a listed network through.

mod common;
mod device;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use device::Device;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const KEYS: &str = r#"{"p256dh": "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4", "auth": "BTBZMqHH6r4Tts7J_aSIgg"}"#;

/// A stand-in push service on the loopback that counts the posts it gets
/// and accepts each (201).
async fn push_service() -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("address").port();
    let posts = Arc::new(AtomicUsize::new(0));
    let counted = posts.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            counted.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut buffer = vec![0u8; 16 * 1024];
                let _ = stream.read(&mut buffer).await;
                let _ = stream
                    .write_all(
                        b"HTTP/1.1 201 Created\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                    )
                    .await;
            });
        }
    });
    (port, posts)
}

async fn node(allowed: &str) -> (Server, Api, Device) {
    let mut env = vec![
        ("COUNTERSIGN_WEB_PUSH_ALLOW_HTTP", "true"),
        ("COUNTERSIGN_PUSH_PER_MINUTE", "60"),
    ];
    if !allowed.is_empty() {
        env.push(("COUNTERSIGN_WEB_PUSH_ALLOWED_NETWORKS", allowed));
    }
    let server = Server::start_with(&Db::sqlite(), &env).await;
    let admin = server.api(&server.create_key("admin", "verify,admin"));
    admin
        .post("/api/v1/users", json!({"username": "alice"}))
        .await
        .expect(201, "alice");
    let phone = Device::enrol(&admin, &server.base(), "alice").await;
    (server, admin, phone)
}

async fn subscribe(phone: &Device, endpoint: &str) -> (u16, Value) {
    let keys: Value = serde_json::from_str(KEYS).expect("keys");
    let body = json!({"endpoint": endpoint, "keys": keys});
    phone.signed("PUT", "/device/v1/webpush", Some(body)).await
}

/// Starts a push to alice and waits for the device's Web Push result.
async fn push_result(admin: &Api, phone: &Device) -> Value {
    admin
        .post(
            "/api/v1/verify",
            json!({"username": "alice", "method": "push"}),
        )
        .await
        .expect(200, "push");
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let list = admin.get("/api/v1/users/alice/devices").await;
        let devices = list.expect(200, "devices")["devices"].clone();
        let entry = devices
            .as_array()
            .and_then(|all| all.iter().find(|d| d["id"] == phone.id.as_str()).cloned())
            .unwrap_or(Value::Null);
        if entry["web_push"]["last_result"].is_string() {
            return entry["web_push"]["last_result"].clone();
        }
        assert!(Instant::now() < deadline, "no Web Push result: {entry}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn internal_endpoints_are_refused_literal_or_resolved() {
    let (port, posts) = push_service().await;
    let (server, admin, phone) = node("").await;
    for literal in [
        format!("http://127.0.0.1:{port}/push/x"),
        "https://169.254.169.254/latest/meta-data".to_string(),
        "https://[::1]:8443/push".to_string(),
        "https://10.0.0.7/push".to_string(),
    ] {
        let (status, body) = subscribe(&phone, &literal).await;
        assert_eq!(status, 422, "{literal}: {body}");
        let message = body["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains("web_push.allowed_networks"), "{message}");
    }
    // A name is only known once resolved: accepted now, refused at the post.
    let (status, body) = subscribe(&phone, &format!("http://localhost:{port}/push/x")).await;
    assert_eq!(status, 204, "{body}");
    assert_eq!(push_result(&admin, &phone).await, "rejected");
    assert_eq!(
        posts.load(Ordering::SeqCst),
        0,
        "nothing reached the loopback"
    );
    assert!(
        server
            .stderr()
            .contains("resolves only to private, loopback or link-local addresses"),
        "the log says why:\n{}",
        server.stderr()
    );
}

#[tokio::test]
async fn an_allowed_network_lets_the_push_through() {
    let (port, posts) = push_service().await;
    let (_server, admin, phone) = node("127.0.0.0/8,::1").await;
    let (status, body) = subscribe(&phone, &format!("http://localhost:{port}/push/x")).await;
    assert_eq!(status, 204, "{body}");
    assert_eq!(push_result(&admin, &phone).await, "delivered");
    assert!(posts.load(Ordering::SeqCst) >= 1);
}
