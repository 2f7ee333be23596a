//! Ten wrong codes lock a user out, even against the right code; an
//! administrator unlocks through the API or the CLI; the audit trail shows
//! every attempt. HOTP keeps the right code independent of the clock.

mod common;

use common::*;
use serde_json::{json, Value};

#[tokio::test]
async fn lockout_sqlite() {
    lockout(Db::sqlite()).await;
}

#[tokio::test]
async fn lockout_postgres() {
    lockout(Db::postgres().await).await;
}

/// The default threshold (verify.lockout_threshold).
const THRESHOLD: u32 = 10;

async fn lockout(db: Db) {
    let server = Server::start(&db).await;
    let api = server.api(&server.create_key("lockout", "verify,admin"));
    api.post("/api/v1/users", json!({"username": "alice"}))
        .await
        .expect(201, "create alice");
    let token = api
        .post(
            "/api/v1/users/alice/tokens",
            json!({"type": "hotp", "secret": RFC_SECRET_B32}),
        )
        .await;
    token.expect(201, "add alice's token");

    fail_until_locked(&api, 0).await;
    let user = api
        .get("/api/v1/users/alice")
        .await
        .expect(200, "show alice")
        .clone();
    assert!(
        user["locked_until"].is_string(),
        "locked_until is set: {user}"
    );
    assert_eq!(user["failed_attempts"], THRESHOLD);

    let unlocked = api.post("/api/v1/users/alice/unlock", json!({})).await;
    let user = unlocked.expect(200, "unlock alice");
    assert_eq!(
        (&user["locked_until"], &user["failed_attempts"]),
        (&Value::Null, &json!(0)),
        "{user}"
    );
    assert_eq!(
        api.verify("alice", &hotp(RFC_SECRET, 0)).await,
        json!({"result": "accepted"}),
        "after the unlock"
    );

    let audit = api.get("/api/v1/audit?username=alice").await;
    let records = audit.expect(200, "audit")["records"]
        .as_array()
        .expect("records")
        .clone();
    let reasons: Vec<Option<&str>> = records.iter().map(|r| r["reason"].as_str()).collect();
    let mut expected = vec![None, Some("user_locked_out")];
    expected.extend(std::iter::repeat_n(
        Some("code_invalid"),
        THRESHOLD as usize,
    ));
    assert_eq!(reasons, expected, "every attempt, newest first");
    assert_eq!(
        records.iter().filter(|r| r["result"] == "accepted").count(),
        1
    );
    let rejected = api
        .get("/api/v1/audit?username=alice&result=rejected")
        .await;
    assert_eq!(
        rejected.expect(200, "rejected only")["records"]
            .as_array()
            .expect("records")
            .len(),
        THRESHOLD as usize + 1
    );

    // Locked again, and this time unlocked by an operator with the CLI.
    fail_until_locked(&api, 100).await;
    let out = server.cli_ok(&["--json", "user", "unlock", "alice"]);
    let shown: Value =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("user unlock --json: {e}\n{out}"));
    assert_eq!(shown["locked_until"], Value::Null, "{shown}");
    assert_eq!(
        api.verify("alice", &hotp(RFC_SECRET, 1)).await,
        json!({"result": "accepted"}),
        "after the CLI unlock"
    );
    let user = api
        .get("/api/v1/users/alice")
        .await
        .expect(200, "show alice")
        .clone();
    assert_eq!(
        (&user["locked_until"], &user["failed_attempts"]),
        (&Value::Null, &json!(0)),
        "{user}"
    );
}

/// THRESHOLD wrong codes, then proves the lock with the right code.
async fn fail_until_locked(api: &Api, seed: u32) {
    for n in 0..THRESHOLD {
        let reply = api.verify("alice", &wrong_code(RFC_SECRET, seed + n)).await;
        assert_eq!(reply["reason"], "code_invalid", "wrong code {n}: {reply}");
    }
    let user = api
        .get("/api/v1/users/alice")
        .await
        .expect(200, "show alice")
        .clone();
    let next = user_next_counter(api).await;
    let reply = api.verify("alice", &hotp(RFC_SECRET, next)).await;
    assert_eq!(
        (&reply["result"], &reply["reason"]),
        (&json!("rejected"), &json!("user_locked_out")),
        "{reply}; {user}"
    );
}

async fn user_next_counter(api: &Api) -> u64 {
    let tokens = api.get("/api/v1/users/alice/tokens").await;
    tokens.expect(200, "list tokens")["tokens"][0]["counter"]
        .as_u64()
        .expect("an HOTP counter")
}
