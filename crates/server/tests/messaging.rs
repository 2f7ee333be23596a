//! Welcome emails and codes by email through a real SMTP sink; failures
//! visible, retries after an outage, nothing lost across a restart.

mod common;
mod device;

use std::time::Duration;

use common::*;
use countersign_testkit::free_port;
use countersign_testkit::smtp_sink::{digits_in, plain_text, SmtpSink};
use serde_json::{json, Value};

fn smtp_env(port: u16) -> Vec<(String, String)> {
    vec![
        ("COUNTERSIGN_SMTP_HOST".into(), "127.0.0.1".into()),
        ("COUNTERSIGN_SMTP_PORT".into(), port.to_string()),
        ("COUNTERSIGN_SMTP_TLS".into(), "none".into()),
        (
            "COUNTERSIGN_SMTP_FROM".into(),
            "Countersign <mfa@example.org>".into(),
        ),
    ]
}

async fn start(db: &Db, env: &[(String, String)]) -> Server {
    let pairs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    Server::start_with(db, &pairs).await
}

async fn messages_for(api: &Api, recipient: &str) -> Vec<Value> {
    let all = api.get("/api/v1/messages?limit=100").await;
    all.body["messages"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|m| m["recipient"] == recipient)
        .collect()
}

#[tokio::test]
async fn welcome_email_follows_the_rule_and_its_activation_code_works() {
    let sink = SmtpSink::start().await;
    let db = Db::sqlite();
    let server = start(&db, &smtp_env(sink.port)).await;
    let admin = server.api(&server.create_key("admin", "verify,admin"));

    // Incomplete: no method yet. Disabled: never.
    admin
        .post("/api/v1/users", json!({"username": "bob@example.org"}))
        .await
        .expect(201, "bob");
    admin
        .post(
            "/api/v1/users",
            json!({"username": "carol", "email": "carol@example.org"}),
        )
        .await
        .expect(201, "carol");
    admin
        .patch("/api/v1/users/carol", json!({"enabled": false}))
        .await
        .expect(200, "disable carol");
    admin
        .post("/api/v1/users/carol/tokens", json!({"type": "totp"}))
        .await
        .expect(201, "carol token");
    // Complete: email and a token.
    admin
        .post(
            "/api/v1/users",
            json!({"username": "alice", "email": "alice@example.org"}),
        )
        .await
        .expect(201, "alice");
    admin
        .post("/api/v1/users/alice/tokens", json!({"type": "totp"}))
        .await
        .expect(201, "alice token");

    let message = sink.wait_for(1, Duration::from_secs(20)).await;
    assert_eq!(message["to"], "alice@example.org");
    assert!(
        message["defects"].as_array().is_some_and(|d| d.is_empty()),
        "valid MIME: {message}"
    );
    let parts = message["parts"].as_array().expect("parts");
    assert!(
        parts.iter().any(|p| p["content_type"] == "text/html"),
        "an HTML part"
    );
    assert!(
        parts.iter().any(|p| p["content_type"] == "image/png"),
        "the QR, inline or attached"
    );
    let code = digits_in(&plain_text(&message), 16).expect("an activation code in the text");
    assert!(
        plain_text(&message).contains(&format!("/app#code={code}")),
        "the link opens the web app with the code"
    );
    let device = device::Device::activate(&server.base(), &code, None).await;
    assert_eq!(device.activation["user"], "alice");
    // The one-time portal link works (opening it shows the button; it is not used up).
    let text = plain_text(&message);
    let path = text
        .split_whitespace()
        .find_map(|w| w.find("/portal/link/").map(|i| w[i..].to_string()))
        .expect("a portal link in the welcome email");
    for _ in 0..2 {
        let page = reqwest::get(server.url(&path))
            .await
            .expect("open the link");
        assert_eq!(page.status(), 200);
        assert!(page.text().await.expect("page").contains("id=\"use-link\""));
    }

    assert!(
        messages_for(&admin, "bob@example.org").await.is_empty(),
        "no mail for a user without a method"
    );
    assert!(
        messages_for(&admin, "carol@example.org").await.is_empty(),
        "no mail for a disabled user"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        sink.messages().len(),
        1,
        "only alice's welcome reached the sink"
    );
}

#[tokio::test]
async fn unreadable_attachment_fails_its_message_only() {
    let sink = SmtpSink::start().await;
    let db = Db::sqlite();
    let mut env = smtp_env(sink.port);
    env.push((
        "COUNTERSIGN_EMAIL_ATTACHMENTS".into(),
        "/nonexistent/share/guide.pdf".into(),
    ));
    let server = start(&db, &env).await;
    let admin = server.api(&server.create_key("admin", "verify,admin"));
    admin
        .post(
            "/api/v1/users",
            json!({"username": "alice", "email": "alice@example.org"}),
        )
        .await
        .expect(201, "alice");
    admin
        .post("/api/v1/users/alice/tokens", json!({"type": "totp"}))
        .await
        .expect(201, "token");

    // Other mail still flows: a code by email.
    let challenge = admin
        .post(
            "/api/v1/verify",
            json!({"username": "alice", "method": "email"}),
        )
        .await
        .expect(200, "email code")
        .clone();
    assert_eq!(challenge["result"], "challenge");
    let message = sink.wait_for(1, Duration::from_secs(20)).await;
    assert!(
        digits_in(&plain_text(&message), 6).is_some(),
        "the code email arrived: {message}"
    );

    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let failed = admin.get("/api/v1/messages?status=failed").await;
        if let Some(m) = failed.body["messages"]
            .as_array()
            .and_then(|a| a.first())
            .cloned()
        {
            assert_eq!(m["purpose"], "welcome");
            assert!(
                m["error"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("/nonexistent/share/guide.pdf"),
                "the error names the file: {m}"
            );
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the welcome email never failed: {}",
            failed.text
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let metrics = server.anonymous().get("/metrics").await;
    assert!(
        metrics
            .text
            .contains("countersign_email_messages_total{result=\"failed\"} 1"),
        "the failure shows in the metrics:\n{}",
        metrics.text
    );
}

#[tokio::test]
async fn smtp_outage_is_retried_and_survives_a_restart() {
    let port = free_port();
    let db = Db::sqlite();
    let mut server = start(&db, &smtp_env(port)).await;
    let admin = server.api(&server.create_key("admin", "verify,admin"));
    admin
        .post(
            "/api/v1/users",
            json!({"username": "alice", "email": "alice@example.org"}),
        )
        .await
        .expect(201, "alice");
    admin
        .post("/api/v1/users/alice/tokens", json!({"type": "totp"}))
        .await
        .expect(201, "token");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let queued = messages_for(&admin, "alice@example.org").await;
        if queued
            .first()
            .is_some_and(|m| m["attempts"].as_i64().unwrap_or(0) >= 1)
        {
            let error = queued[0]["error"].as_str().unwrap_or_default().to_string();
            assert_eq!(queued[0]["status"], "queued", "still to be retried");
            assert!(
                error.contains(&port.to_string()),
                "the error names host:port: {error}"
            );
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no attempt was made"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    server.stop();
    let sink = SmtpSink::start_on(port).await;
    server.spawn().await;
    let message = sink.wait_for(1, Duration::from_secs(30)).await;
    assert_eq!(
        message["to"], "alice@example.org",
        "sent after the outage and the restart"
    );
}

#[tokio::test]
async fn email_codes_are_single_use_and_limited() {
    let sink = SmtpSink::start().await;
    let db = Db::sqlite();
    let mut env = smtp_env(sink.port);
    env.push(("COUNTERSIGN_EMAIL_WELCOME".into(), "false".into()));
    let server = start(&db, &env).await;
    let admin = server.api(&server.create_key("admin", "verify,admin"));
    admin
        .post(
            "/api/v1/users",
            json!({"username": "alice", "email": "alice@example.org"}),
        )
        .await
        .expect(201, "alice");

    let challenge = admin
        .post(
            "/api/v1/verify",
            json!({"username": "alice", "method": "email"}),
        )
        .await
        .expect(200, "challenge")
        .clone();
    assert_eq!(challenge["result"], "challenge", "{challenge}");
    assert!(
        challenge["message"]
            .as_str()
            .unwrap_or_default()
            .contains("a•••@example.org"),
        "{challenge}"
    );
    let id = challenge["transaction_id"]
        .as_str()
        .expect("id")
        .to_string();
    let message = sink.wait_for(1, Duration::from_secs(20)).await;
    let code = digits_in(&plain_text(&message), 6).expect("a code");
    let answer = |code: String| json!({"username": "alice", "transaction_id": id, "code": code});
    assert_eq!(
        admin
            .post("/api/v1/verify", answer(code.clone()))
            .await
            .body["result"],
        "accepted"
    );
    assert_eq!(
        admin.post("/api/v1/verify", answer(code)).await.body["reason"],
        "code_reused"
    );

    let unknown = admin
        .post(
            "/api/v1/verify",
            json!({"username": "alice", "transaction_id": "chl_nope", "code": "123456"}),
        )
        .await;
    unknown.expect_error(404, "unknown_transaction", "an unknown transaction");

    let second = admin
        .post(
            "/api/v1/verify",
            json!({"username": "alice", "method": "email"}),
        )
        .await
        .expect(200, "challenge")
        .clone();
    let id2 = second["transaction_id"].as_str().expect("id").to_string();
    let mut last = Value::Null;
    for _ in 0..6 {
        last = admin
            .post(
                "/api/v1/verify",
                json!({"username": "alice", "transaction_id": id2, "code": "000000"}),
            )
            .await
            .body;
    }
    assert_eq!(last["reason"], "attempts_exceeded", "{last}");
}
