//! Codes by SMS through the generic HTTP gateway (a local endpoint started
//! here), and two-way SMS completed by an inbound reply.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Captures every request body sent to it; answers 200.
async fn gateway() -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let store = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let store = store.clone();
            tokio::spawn(async move {
                let mut buffer = vec![0u8; 16384];
                let mut request = Vec::new();
                while let Ok(n) = socket.read(&mut buffer).await {
                    if n == 0 {
                        break;
                    }
                    request.extend_from_slice(&buffer[..n]);
                    let text = String::from_utf8_lossy(&request).to_string();
                    if let Some((head, body)) = text.split_once("\r\n\r\n") {
                        let length = head
                            .lines()
                            .find_map(|l| {
                                l.to_lowercase()
                                    .strip_prefix("content-length:")
                                    .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                            })
                            .unwrap_or(0);
                        if body.len() >= length {
                            store.lock().expect("lock").push(body.to_string());
                            let _ = socket.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok").await;
                            break;
                        }
                    }
                }
            });
        }
    });
    (port, seen)
}

async fn sent_text(seen: &Arc<Mutex<Vec<String>>>, n: usize) -> Value {
    for _ in 0..200 {
        if let Some(body) = seen.lock().expect("lock").get(n - 1).cloned() {
            return serde_json::from_str(&body)
                .unwrap_or_else(|_| panic!("the gateway got JSON: {body}"));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("SMS {n} never reached the gateway");
}

async fn setup() -> (Server, Api, Arc<Mutex<Vec<String>>>) {
    setup_with(&[]).await
}

async fn setup_with(extra: &[(&str, &str)]) -> (Server, Api, Arc<Mutex<Vec<String>>>) {
    let (port, seen) = gateway().await;
    let db = Db::sqlite();
    let url = format!("http://127.0.0.1:{port}/send");
    let env = [
        ("COUNTERSIGN_SMS_GATEWAY", "http"),
        ("COUNTERSIGN_SMS_URL", url.as_str()),
        ("COUNTERSIGN_SMS_HEADERS", "Content-Type: application/json"),
        (
            "COUNTERSIGN_SMS_BODY",
            "{\"to\": {{ to|tojson }}, \"text\": {{ text|tojson }}}",
        ),
        ("COUNTERSIGN_SMS_INBOUND_SECRET", "inbound-secret-for-tests"),
    ];
    let mut env = env.to_vec();
    env.extend_from_slice(extra);
    let server = Server::start_with(&db, &env).await;
    let admin = server.api(&server.create_key("admin", "verify,admin"));
    admin
        .post(
            "/api/v1/users",
            json!({"username": "alice", "phone": "+441632960123"}),
        )
        .await
        .expect(201, "alice");
    (server, admin, seen)
}

#[tokio::test]
async fn sms_code_is_accepted_once() {
    let (_server, admin, seen) = setup().await;
    let challenge = admin
        .post(
            "/api/v1/verify",
            json!({"username": "alice", "method": "sms"}),
        )
        .await
        .expect(200, "sms")
        .clone();
    assert_eq!(challenge["result"], "challenge");
    assert!(
        challenge["message"]
            .as_str()
            .unwrap_or_default()
            .contains("+44 ••••• 123"),
        "{challenge}"
    );
    let sms = sent_text(&seen, 1).await;
    assert_eq!(sms["to"], "+441632960123");
    let code = digits_of_len(sms["text"].as_str().unwrap_or_default(), 6);
    let id = challenge["transaction_id"].as_str().expect("id");
    let answer = json!({"username": "alice", "transaction_id": id, "code": code});
    assert_eq!(
        admin.post("/api/v1/verify", answer.clone()).await.body["result"],
        "accepted"
    );
    assert_eq!(
        admin.post("/api/v1/verify", answer).await.body["reason"],
        "code_reused"
    );
}

#[tokio::test]
async fn sms_reply_completes_from_the_right_number_only() {
    let (server, admin, seen) = setup().await;
    let started = admin
        .post(
            "/api/v1/verify",
            json!({"username": "alice", "method": "sms_reply"}),
        )
        .await
        .expect(200, "sms_reply")
        .clone();
    assert_eq!(started["result"], "pending", "{started}");
    let id = started["transaction_id"].as_str().expect("id").to_string();
    let reply = digits_of_len(
        sent_text(&seen, 1).await["text"]
            .as_str()
            .unwrap_or_default(),
        4,
    );
    assert_eq!(reply.len(), 4, "a 4-digit reply code in the text");

    let inbound = |secret: &str, from: &str, text: &str| {
        format!("/api/v1/sms/inbound?secret={secret}&from={from}&text={text}")
    };
    let anonymous = server.anonymous();
    anonymous
        .get(&inbound("wrong", "%2B441632960123", &reply))
        .await
        .expect_error(401, "unauthorized", "wrong secret");
    assert_eq!(
        anonymous
            .get(&inbound(
                "inbound-secret-for-tests",
                "%2B449999999999",
                &reply
            ))
            .await
            .status,
        200
    );
    let still = admin.get(&format!("/api/v1/transactions/{id}")).await;
    assert_eq!(
        still.body["result"], "pending",
        "another number completes nothing: {}",
        still.text
    );

    let waiter = {
        let admin = admin.clone();
        let id = id.clone();
        tokio::spawn(async move {
            admin
                .get(&format!("/api/v1/transactions/{id}?wait=10"))
                .await
                .body
        })
    };
    // The secret in the header (the URL form above is deprecated, and logged).
    let path = format!("/api/v1/sms/inbound?from=%2B441632960123&text={reply}");
    let wrong_header = anonymous.request(reqwest::Method::GET, &path);
    anonymous
        .send(wrong_header.header("X-Countersign-Secret", "wrong"))
        .await
        .expect_error(401, "unauthorized", "wrong secret in the header");
    let with_header = anonymous
        .request(reqwest::Method::GET, &path)
        .header("X-Countersign-Secret", "inbound-secret-for-tests");
    assert_eq!(anonymous.send(with_header).await.status, 200);
    assert_eq!(waiter.await.expect("join")["result"], "accepted");
    assert!(
        server
            .stderr()
            .contains("send it in the X-Countersign-Secret header"),
        "the URL form is logged as deprecated"
    );
}

#[tokio::test]
async fn pin_mode_asks_for_pin_plus_code() {
    let (server, admin, seen) = setup_with(&[("COUNTERSIGN_CODES_PIN_MODE", "true")]).await;
    server.cli_ok(&["user", "set-pin", "alice", "--pin", "8642"]);
    let challenge = admin
        .post(
            "/api/v1/verify",
            json!({"username": "alice", "method": "sms"}),
        )
        .await
        .expect(200, "sms")
        .clone();
    let code = digits_of_len(
        sent_text(&seen, 1).await["text"]
            .as_str()
            .unwrap_or_default(),
        6,
    );
    let id = challenge["transaction_id"].as_str().expect("id");
    let typed = |t: String| json!({"username": "alice", "transaction_id": id, "code": t});
    assert_eq!(
        admin
            .post("/api/v1/verify", typed(format!("1111{code}")))
            .await
            .body["reason"],
        "pin_incorrect"
    );
    assert_eq!(
        admin
            .post("/api/v1/verify", typed(format!("8642{code}")))
            .await
            .body["result"],
        "accepted"
    );
}
