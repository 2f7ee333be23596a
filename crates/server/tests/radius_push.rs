//! RADIUS holding a request while a push is answered on the device.

mod common;
mod device;

use std::time::Duration;

use common::*;
use countersign_radius::{attr, encode_access_request, verify_response, Attribute, Code};
use device::Device;
use serde_json::json;
use tokio::net::UdpSocket;

const SECRET: &str = "radius-push-test-secret";

fn free_udp_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

async fn setup() -> (Server, Api, Device, u16) {
    let db = Db::sqlite();
    let port = free_udp_port();
    let listen = format!("127.0.0.1:{port}");
    let mut server = Server::with_env(
        &db,
        &[
            ("COUNTERSIGN_RADIUS_LISTEN", &listen),
            ("COUNTERSIGN_RADIUS_HOLD_SECONDS", "10"),
        ],
    );
    server.cli_ok(&[
        "radius",
        "client",
        "add",
        "--name",
        "vpn",
        "--address",
        "127.0.0.1",
        "--secret",
        SECRET,
        "--flow",
        "challenge",
    ]);
    server.spawn().await;
    let admin = server.api(&server.create_key("admin", "verify,admin"));
    admin
        .post("/api/v1/users", json!({"username": "alice"}))
        .await
        .expect(201, "alice");
    let grant = admin
        .post("/api/v1/users/alice/activations", json!({}))
        .await
        .expect(201, "activation")
        .clone();
    let code = grant["activation_code"]
        .as_str()
        .expect("code")
        .replace(' ', "");
    let device = Device::activate(&server.base(), &code, None).await;
    (server, admin, device, port)
}

/// Sends `bytes` `times` times (a client retransmitting) and returns the first answer.
async fn exchange(
    port: u16,
    bytes: &[u8],
    authenticator: &[u8; 16],
    times: usize,
) -> countersign_radius::Packet {
    let socket = UdpSocket::bind("127.0.0.1:0").await.expect("bind");
    socket.connect(("127.0.0.1", port)).await.expect("connect");
    for _ in 0..times {
        socket.send(bytes).await.expect("send");
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    let mut buffer = vec![0u8; 4096];
    let len = tokio::time::timeout(Duration::from_secs(15), socket.recv(&mut buffer))
        .await
        .expect("an answer within 15 s")
        .expect("recv");
    verify_response(&buffer[..len], authenticator, SECRET.as_bytes()).expect("a valid answer")
}

/// Waits for the push to reach the device, then answers it.
async fn answer_when_pending(device: &Device, answer: &'static str) -> usize {
    for _ in 0..100 {
        let pending = device.pending().await;
        if let Some(request) = pending.first() {
            let id = request["id"].as_str().expect("id").to_string();
            let (status, body) = device.answer(&id, json!({"answer": answer})).await;
            assert_eq!(status, 200, "{body}");
            return pending.len();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no push reached the device");
}

fn request() -> (Vec<u8>, [u8; 16]) {
    let attributes = vec![Attribute::new(attr::USER_NAME, b"alice".to_vec())];
    encode_access_request(7, attributes, Some(b"".as_slice()), SECRET.as_bytes()).expect("encode")
}

#[tokio::test]
async fn held_push_approved_accepts_and_retransmissions_make_one_push() {
    let (server, admin, device, port) = setup().await;
    let (bytes, authenticator) = request();
    let answering = tokio::spawn(async move { answer_when_pending(&device, "approve").await });
    let answer = exchange(port, &bytes, &authenticator, 3).await;
    assert_eq!(
        answer.code,
        Code::AccessAccept,
        "{:?}",
        answer.text(attr::REPLY_MESSAGE)
    );
    assert_eq!(
        answering.await.expect("join"),
        1,
        "three retransmissions made one push"
    );
    let audit = admin.get("/api/v1/audit?username=alice").await;
    let pushes = audit.body["records"]
        .as_array()
        .expect("records")
        .iter()
        .filter(|r| r["method"] == "push")
        .count();
    assert_eq!(pushes, 1, "one decision in the audit trail: {}", audit.text);
    drop(server);
}

#[tokio::test]
async fn held_push_denied_rejects_with_the_reason() {
    let (_server, _admin, device, port) = setup().await;
    let (bytes, authenticator) = request();
    let answering = tokio::spawn(async move { answer_when_pending(&device, "deny").await });
    let answer = exchange(port, &bytes, &authenticator, 1).await;
    answering.await.expect("join");
    assert_eq!(answer.code, Code::AccessReject);
    let message = answer.text(attr::REPLY_MESSAGE).unwrap_or_default();
    assert!(message.contains("push_denied"), "{message}");
}

#[tokio::test]
async fn status_server_is_answered_for_proxy_health_checks() {
    let (_server, _admin, _device, port) = setup().await;
    let mut child = tokio::process::Command::new("radclient")
        .args([
            "-x",
            "-r",
            "1",
            "-t",
            "3",
            &format!("127.0.0.1:{port}"),
            "status",
            SECRET,
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("radclient (freeradius-utils; scripts/test installs it)");
    {
        use tokio::io::AsyncWriteExt;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin
            .write_all(b"Message-Authenticator = 0x00\n")
            .await
            .expect("write");
    }
    let output = child.wait_with_output().await.expect("radclient ran");
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        printed.contains("Received Access-Accept"),
        "RFC 5997 Status-Server answered: {printed}"
    );
}
