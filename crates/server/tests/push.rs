//! Push approval end to end over real sockets: activation, the signed
//! device API, number matching, PIN, deny, fraud, timeout, replays and
//! rate limits, on SQLite and PostgreSQL.

mod common;
mod device;

use common::*;
use device::{pin_key, pin_proof, Device};
use serde_json::{json, Value};

async fn alice(server: &Server) -> (Api, String) {
    let admin = server.api(&server.create_key("admin", "verify,admin"));
    admin
        .post("/api/v1/users", json!({"username": "alice"}))
        .await
        .expect(201, "create alice");
    let grant = admin
        .post("/api/v1/users/alice/activations", json!({}))
        .await;
    let body = grant.expect(201, "activation").clone();
    let code = body["activation_code"].as_str().expect("code").to_string();
    assert_eq!(code.len(), 19, "16 digits in 4 groups: {code}");
    assert!(body["activation_uri"]
        .as_str()
        .expect("uri")
        .starts_with("countersign://activate?url="));
    assert!(body["qr_svg"].as_str().expect("qr").starts_with("<svg"));
    (admin, code)
}

async fn push(api: &Api) -> (String, i64) {
    let reply = api.post("/api/v1/verify", json!({"username": "alice", "method": "push", "context": {"application": "VPN", "client_address": "203.0.113.5"}})).await;
    let body = reply.expect(200, "push").clone();
    assert_eq!(body["result"], "pending", "{body}");
    (
        body["transaction_id"].as_str().expect("id").to_string(),
        body["number"].as_i64().expect("number"),
    )
}

async fn outcome(api: &Api, id: &str) -> Value {
    api.get(&format!("/api/v1/transactions/{id}?wait=10"))
        .await
        .expect(200, "long-poll")
        .clone()
}

#[tokio::test]
async fn push_flows_sqlite() {
    push_flows(Db::sqlite()).await;
}

#[tokio::test]
async fn push_flows_postgres() {
    push_flows(Db::postgres().await).await;
}

async fn push_flows(db: Db) {
    let server = Server::start_with(
        &db,
        &[
            ("COUNTERSIGN_PUSH_PER_MINUTE", "60"),
            ("COUNTERSIGN_PUSH_PER_HOUR", "100"),
        ],
    )
    .await;
    let (admin, code) = alice(&server).await;
    let device = Device::activate(&server.base(), &code.replace(' ', ""), None).await;
    assert_eq!(device.activation["user"], "alice");
    assert!(
        device.activation["oath"]["secret"].as_str().is_some(),
        "offline seed given"
    );

    // Approve with the right number, while a long-poll waits.
    let (id, number) = push(&admin).await;
    let pending = device.pending().await;
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0]["application"], "VPN");
    assert!(
        pending[0].get("number").is_none(),
        "the device must not be told the number"
    );
    let waiter = {
        let api = admin.clone();
        let id = id.clone();
        tokio::spawn(async move { outcome(&api, &id).await })
    };
    let (status, answer) = device
        .answer(&id, json!({"answer": "approve", "number": number}))
        .await;
    assert_eq!(
        (status, answer["result"].as_str()),
        (200, Some("accepted")),
        "{answer}"
    );
    assert_eq!(waiter.await.expect("join")["result"], "accepted");
    let (status, again) = device
        .answer(&id, json!({"answer": "approve", "number": number}))
        .await;
    assert_eq!(
        (status, again["error"]["code"].as_str()),
        (409, Some("already_answered")),
        "replayed answer: {again}"
    );

    // Wrong number, deny.
    let (id, number) = push(&admin).await;
    device
        .answer(
            &id,
            json!({"answer": "approve", "number": (number % 90) + 10 + 1}),
        )
        .await;
    assert_eq!(outcome(&admin, &id).await["reason"], "number_mismatch");
    let (id, _) = push(&admin).await;
    device.answer(&id, json!({"answer": "deny"})).await;
    assert_eq!(outcome(&admin, &id).await["reason"], "push_denied");

    // The offline seed makes codes the server accepts.
    let seed = countersign_otp::base32::decode(
        device.activation["oath"]["secret"].as_str().expect("seed"),
    )
    .expect("base32");
    assert_eq!(
        admin.verify("alice", &totp_now(&seed)).await["result"],
        "accepted"
    );

    // Fraud blocks the user.
    let (id, _) = push(&admin).await;
    device.answer(&id, json!({"answer": "fraud"})).await;
    assert_eq!(outcome(&admin, &id).await["reason"], "fraud_reported");
    assert_eq!(
        admin.get("/api/v1/users/alice").await.body["enabled"],
        false
    );
    let blocked = admin
        .post(
            "/api/v1/verify",
            json!({"username": "alice", "method": "push"}),
        )
        .await;
    assert_eq!(blocked.body["reason"], "user_disabled");

    let audit = admin.get("/api/v1/audit?username=alice&limit=20").await;
    let reasons: Vec<Value> = audit.body["records"]
        .as_array()
        .expect("records")
        .iter()
        .map(|r| r["reason"].clone())
        .collect();
    for expected in ["fraud_reported", "push_denied", "number_mismatch"] {
        assert!(
            reasons.contains(&json!(expected)),
            "audit lacks {expected}: {reasons:?}"
        );
    }
}

#[tokio::test]
async fn activation_codes_are_single_use_and_lock_after_ten_wrong() {
    let db = Db::sqlite();
    let server = Server::start(&db).await;
    let (admin, code) = alice(&server).await;
    let digits = code.replace(' ', "");
    let key = device::new_key();
    let wrong = format!(
        "{}{}",
        &digits[..8],
        if &digits[8..] == "00000000" {
            "11111111"
        } else {
            "00000000"
        }
    );
    // A code that does not exist: the answer every dead or wrong code gets,
    // so a live code's first half cannot be found by trying them.
    let (status, unknown) =
        device::activate_raw(&server.base(), "1234123412341234", &key, None).await;
    assert_eq!(
        (status, unknown["error"]["code"].as_str()),
        (403, Some("activation_refused")),
        "{unknown}"
    );
    assert!(!unknown["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .is_empty());
    for attempt in 1..=10 {
        let (status, body) = device::activate_raw(&server.base(), &wrong, &key, None).await;
        assert_eq!(
            (status, &body),
            (403, &unknown),
            "attempt {attempt} (a live code, wrong second half) is answered as an unknown code"
        );
    }
    let (status, body) = device::activate_raw(&server.base(), &digits, &key, None).await;
    assert_eq!(
        (status, &body),
        (403, &unknown),
        "the 11th attempt, with the right code, is locked: the same answer"
    );

    let grant = admin
        .post("/api/v1/users/alice/activations", json!({}))
        .await
        .expect(201, "second activation")
        .clone();
    let digits = grant["activation_code"]
        .as_str()
        .expect("code")
        .replace(' ', "");
    let (status, _) = device::activate_raw(&server.base(), &digits, &key, None).await;
    assert_eq!(status, 201);
    let (status, body) =
        device::activate_raw(&server.base(), &digits, &device::new_key(), None).await;
    assert_eq!(
        (status, &body),
        (403, &unknown),
        "a used code: the same answer"
    );
    let log = server.stderr();
    for reason in [
        "already used",
        "locked after",
        "is wrong",
        "no activation has this code",
    ] {
        assert!(
            log.contains(reason),
            "the log tells the operator '{reason}':\n{log}"
        );
    }
}

#[tokio::test]
async fn signed_requests_refuse_forgery_and_replay() {
    let db = Db::sqlite();
    let server = Server::start(&db).await;
    let (_admin, code) = alice(&server).await;
    let device = Device::activate(&server.base(), &code.replace(' ', ""), None).await;
    let path = "/device/v1/requests";
    let now = unix_now() as i64;

    let headers = device.headers("GET", path, b"", now, "nonce-used-twice-0001");
    assert_eq!(device.send("GET", path, None, headers.clone()).await.0, 200);
    let (status, body) = device.send("GET", path, None, headers).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("nonce_reused")),
        "{body}"
    );

    let stale = device.headers("GET", path, b"", now - 3600, "stale-timestamp-0001");
    let (status, body) = device.send("GET", path, None, stale).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("timestamp_stale")),
        "{body}"
    );

    let mut forged = device.headers("GET", "/device/v1/other", b"", now, "forged-signature-001");
    forged.retain(|(name, _)| *name != "x-countersign-device");
    forged.push(("x-countersign-device", device.id.clone()));
    let (status, body) = device.send("GET", path, None, forged).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("signature_invalid")),
        "{body}"
    );

    let (status, body) = device.send("GET", path, None, Vec::new()).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("signature_missing")),
        "{body}"
    );
}

#[tokio::test]
async fn pin_timeout_and_rate_limit() {
    let db = Db::sqlite();
    let env = [
        ("COUNTERSIGN_PUSH_PIN_REQUIRED", "true"),
        ("COUNTERSIGN_PUSH_TIMEOUT_SECONDS", "5"),
    ];
    let server = Server::start_with(&db, &env).await;
    let (admin, code) = alice(&server).await;
    let key = pin_key("2468");
    let device_key = device::new_key();
    let (status, body) =
        device::activate_raw(&server.base(), &code.replace(' ', ""), &device_key, None).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (422, Some("pin_required")),
        "{body}"
    );
    let device = Device::activate(&server.base(), &code.replace(' ', ""), Some(&key)).await;

    let (id, number) = push(&admin).await;
    device.answer(&id, json!({"answer": "approve", "number": number, "pin_proof": pin_proof(&pin_key("1357"), &id)})).await;
    assert_eq!(outcome(&admin, &id).await["reason"], "pin_incorrect");

    let (id, number) = push(&admin).await;
    let (_, answer) = device
        .answer(
            &id,
            json!({"answer": "approve", "number": number, "pin_proof": pin_proof(&key, &id)}),
        )
        .await;
    assert_eq!(answer["result"], "accepted", "{answer}");

    let (id, _) = push(&admin).await; // third in this minute: nobody answers
    assert_eq!(outcome(&admin, &id).await["reason"], "push_timeout");
    let fourth = admin
        .post(
            "/api/v1/verify",
            json!({"username": "alice", "method": "push"}),
        )
        .await;
    assert_eq!(
        fourth.expect(200, "fourth push")["reason"],
        "push_rate_limited"
    );
}

#[tokio::test]
async fn push_without_device_is_refused() {
    let db = Db::sqlite();
    let server = Server::start(&db).await;
    let admin = server.api(&server.create_key("admin", "verify,admin"));
    admin
        .post("/api/v1/users", json!({"username": "bob"}))
        .await
        .expect(201, "create bob");
    let reply = admin
        .post(
            "/api/v1/verify",
            json!({"username": "bob", "method": "push"}),
        )
        .await;
    assert_eq!(reply.expect(200, "push")["reason"], "no_device");
}

#[tokio::test]
async fn two_nodes_on_postgres_share_pushes() {
    let db = Db::postgres().await;
    let node1 = Server::start(&db).await;
    let node2 = Server::start(&db).await;
    let (_admin1, code) = alice(&node1).await;
    let device = Device::activate(&node1.base(), &code.replace(' ', ""), None).await;
    let api2 = node2.api(&node2.create_key("app2", "verify,admin"));

    // The device holds its event stream on node 1; the push starts on node 2.
    let mut stream = events_stream(&node1.base(), &device).await;
    let (id, number) = push(&api2).await;
    let event = tokio::time::timeout(std::time::Duration::from_secs(10), next_event(&mut stream))
        .await
        .expect("event within 10 s");
    assert!(
        event.contains(&id),
        "the stream on node 1 got the push made on node 2: {event}"
    );
    let waiter = {
        let api = api2.clone();
        let id = id.clone();
        tokio::spawn(async move { outcome(&api, &id).await })
    };
    let (_, answer) = device
        .answer(&id, json!({"answer": "approve", "number": number}))
        .await;
    assert_eq!(answer["result"], "accepted");
    assert_eq!(
        waiter.await.expect("join")["result"],
        "accepted",
        "the long-poll on node 2 saw the answer given on node 1"
    );
}

/// Opens `GET /device/v1/events` on a raw connection.
async fn events_stream(base: &str, device: &Device) -> tokio::io::BufReader<tokio::net::TcpStream> {
    use tokio::io::AsyncWriteExt;
    let address = base.trim_start_matches("http://");
    let mut tcp = tokio::net::TcpStream::connect(address)
        .await
        .expect("connect");
    let headers = device.headers(
        "GET",
        "/device/v1/events",
        b"",
        unix_now() as i64,
        &device::fresh_nonce(),
    );
    let mut request = format!(
        "GET /device/v1/events HTTP/1.1\r\nHost: {address}\r\nAccept: text/event-stream\r\n"
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    tcp.write_all(request.as_bytes()).await.expect("send");
    tokio::io::BufReader::new(tcp)
}

/// The next `data:` line of a `request` event.
async fn next_event(stream: &mut tokio::io::BufReader<tokio::net::TcpStream>) -> String {
    use tokio::io::AsyncBufReadExt;
    let mut line = String::new();
    loop {
        line.clear();
        if stream.read_line(&mut line).await.expect("read") == 0 {
            panic!("the event stream closed");
        }
        if let Some(data) = line.trim().strip_prefix("data:") {
            if data.contains("\"id\"") {
                return data.to_string();
            }
        }
    }
}

#[tokio::test]
async fn per_user_policy_overrides_the_global_one() {
    let db = Db::sqlite();
    let server = Server::start(&db).await;
    let (admin, code) = alice(&server).await;
    let device = Device::activate(&server.base(), &code.replace(' ', ""), None).await;
    let patched = admin
        .patch(
            "/api/v1/users/alice",
            json!({"push_number_matching": false}),
        )
        .await;
    assert_eq!(patched.expect(200, "patch")["push_number_matching"], false);
    let reply = admin
        .post(
            "/api/v1/verify",
            json!({"username": "alice", "method": "push"}),
        )
        .await;
    let body = reply.expect(200, "push").clone();
    assert!(body["number"].is_null(), "no number for this user: {body}");
    let id = body["transaction_id"].as_str().expect("id").to_string();
    let (_, answer) = device.answer(&id, json!({"answer": "approve"})).await;
    assert_eq!(answer["result"], "accepted", "{answer}");
    server.cli_ok(&[
        "user",
        "update",
        "alice",
        "--push-number-matching",
        "default",
    ]);
    let shown = admin.get("/api/v1/users/alice").await;
    assert!(
        shown.body["push_number_matching"].is_null(),
        "back to the server's policy: {}",
        shown.text
    );
}
