//! One-time bypass (MFA Server's): an administrator lets the user's next
//! sign-in through without a second factor, once, within a window; the
//! audit says `bypassed`. Through the API and the CLI, on both stores.

mod common;

use common::*;
use serde_json::{json, Value};

#[tokio::test]
async fn bypass_sqlite() {
    bypass(Db::sqlite()).await;
}

#[tokio::test]
async fn bypass_postgres() {
    bypass(Db::postgres().await).await;
}

async fn bypass(db: Db) {
    let server = Server::start(&db).await;
    let api = server.api(&server.create_key("bypass", "verify,admin"));
    api.post("/api/v1/users", json!({"username": "alice"}))
        .await
        .expect(201, "create alice");
    api.post(
        "/api/v1/users/alice/tokens",
        json!({"type": "hotp", "secret": RFC_SECRET_B32}),
    )
    .await
    .expect(201, "add alice's token");

    let granted = api
        .post(
            "/api/v1/users/alice/bypass",
            json!({"seconds": 300, "reason": "phone lost, ticket 4711"}),
        )
        .await;
    let user = granted.expect(200, "grant a bypass").clone();
    assert!(user["bypass_until"].is_string(), "{user}");
    assert_eq!(user["bypass_reason"], "phone lost, ticket 4711");

    // Several sign-ins at once with a wrong code: exactly one takes the bypass.
    let wrong = wrong_code(RFC_SECRET, 1);
    let v = || api.verify("alice", &wrong);
    let (a, b, c, d, e, f) = tokio::join!(v(), v(), v(), v(), v(), v());
    let answers = [a, b, c, d, e, f];
    let accepted: Vec<&Value> = answers
        .iter()
        .filter(|a| a["result"] == "accepted")
        .collect();
    assert_eq!(
        accepted.len(),
        1,
        "one sign-in uses the bypass: {answers:?}"
    );
    assert_eq!(accepted[0]["reason"], "bypassed");
    assert_eq!(
        api.verify("alice", &wrong).await["reason"],
        "code_invalid",
        "the bypass is used up"
    );
    let user = api
        .get("/api/v1/users/alice")
        .await
        .expect(200, "show")
        .clone();
    assert_eq!(user["bypass_until"], Value::Null, "{user}");

    let audit = api
        .get("/api/v1/audit?username=alice&result=accepted")
        .await;
    let records = audit.expect(200, "audit")["records"].clone();
    assert_eq!(records[0]["reason"], "bypassed", "{records}");

    // The CLI grants and withdraws; a withdrawn bypass lets nobody through.
    let shown = server.cli_json(&[
        "user",
        "bypass",
        "alice",
        "--seconds",
        "60",
        "--reason",
        "desk",
    ]);
    assert_eq!(shown["bypass_reason"], "desk", "{shown}");
    let shown = server.cli_json(&["user", "bypass", "alice", "--revoke"]);
    assert_eq!(shown["bypass_until"], Value::Null, "{shown}");
    assert_eq!(api.verify("alice", &wrong).await["result"], "rejected");

    // Bad input: the field is named, nothing is granted.
    for (body, field) in [
        (json!({"seconds": 0, "reason": "x"}), "seconds"),
        (json!({"seconds": 86401, "reason": "x"}), "seconds"),
        (json!({"seconds": 60, "reason": "  "}), "reason"),
        (json!({"seconds": 60}), "reason"),
    ] {
        let reply = api.post("/api/v1/users/alice/bypass", body.clone()).await;
        let message = reply.expect_error(422, "invalid_request", &format!("{body}"));
        assert!(message.contains(field), "{body}: {message}");
    }
    let user = api
        .get("/api/v1/users/alice")
        .await
        .expect(200, "show")
        .clone();
    assert_eq!(
        user["bypass_until"],
        Value::Null,
        "nothing half-saved: {user}"
    );
    api.post("/api/v1/users/nobody/bypass", json!({"reason": "x"}))
        .await
        .expect_error(404, "not_found", "unknown user");
}
