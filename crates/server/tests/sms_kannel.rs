//! SMS through a real Kannel: a code sent as a text and accepted once, and
//! a two-way SMS completed by the user's reply (and not by another number).

mod common;

use common::*;
use countersign_testkit::kannel::{Kannel, Ports};
use serde_json::json;

const SECRET: &str = "kannel-inbound-secret";

async fn setup() -> (Server, Api, Kannel) {
    let ports = Ports::pick();
    let db = Db::sqlite();
    let url = ports.sendsms_url();
    let env = [
        ("COUNTERSIGN_SMS_GATEWAY", "kannel"),
        ("COUNTERSIGN_SMS_URL", url.as_str()),
        ("COUNTERSIGN_SMS_USERNAME", "tester"),
        ("COUNTERSIGN_SMS_PASSWORD", "testpw"),
        ("COUNTERSIGN_SMS_FROM", "4000"),
        ("COUNTERSIGN_SMS_INBOUND_SECRET", SECRET),
    ];
    let server = Server::start_with(&db, &env).await;
    let get_url = format!(
        "{}/api/v1/sms/inbound?secret={SECRET}&from=%p&text=%a",
        server.base()
    );
    let kannel = Kannel::start_on(&ports, &get_url).await;
    let admin = server.api(&server.create_key("admin", "verify,admin"));
    admin
        .post(
            "/api/v1/users",
            json!({"username": "alice", "phone": "+441632960123"}),
        )
        .await
        .expect(201, "alice");
    (server, admin, kannel)
}

#[tokio::test]
async fn code_by_sms_through_kannel_is_accepted_once() {
    let (_server, admin, mut kannel) = setup().await;
    let challenge = admin
        .post(
            "/api/v1/verify",
            json!({"username": "alice", "method": "sms"}),
        )
        .await
        .expect(200, "sms")
        .clone();
    let (to, text) = kannel.next_mt().await;
    assert_eq!(to, "+441632960123");
    let code = digits_of_len(&text, 6);
    assert_eq!(code.len(), 6, "a code in: {text}");
    let answer =
        json!({"username": "alice", "transaction_id": challenge["transaction_id"], "code": code});
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
async fn reply_through_kannel_completes_only_from_the_users_number() {
    let (_server, admin, mut kannel) = setup().await;
    let started = admin
        .post(
            "/api/v1/verify",
            json!({"username": "alice", "method": "sms_reply"}),
        )
        .await
        .expect(200, "sms_reply")
        .clone();
    let id = started["transaction_id"].as_str().expect("id").to_string();
    let (_, text) = kannel.next_mt().await;
    let reply = digits_of_len(&text, 4);
    assert_eq!(reply.len(), 4, "a reply code in: {text}");

    kannel.send_mo("+449999999999", &reply).await;
    let other = admin
        .get(&format!("/api/v1/transactions/{id}?wait=2"))
        .await;
    assert_eq!(
        other.body["result"], "pending",
        "a reply from another number completes nothing: {}",
        other.text
    );

    kannel.send_mo("+441632960123", &reply).await;
    let done = admin
        .get(&format!("/api/v1/transactions/{id}?wait=15"))
        .await;
    assert_eq!(done.body["result"], "accepted", "{}", done.text);
}
