//! The policy kept in the store: changed through the API (or the CLI), the
//! engine obeys it at once on this node and within seconds on the other;
//! bad values are refused with the field named and nothing saved.

mod common;
mod device;

use std::time::{Duration, Instant};

use common::*;
use device::Device;
use serde_json::{json, Value};

async fn verify(api: &Api, body: Value) -> Value {
    api.post("/api/v1/verify", body)
        .await
        .expect(200, "verify")
        .clone()
}

#[tokio::test]
async fn settings_are_obeyed_on_every_node() {
    let db = Db::postgres().await;
    let nodes = Server::start_together(&db, 2, &[]).await;
    let key = nodes[0].create_key("settings", "verify,admin");
    let (a, b) = (nodes[0].api(&key), nodes[1].api(&key));
    a.post(
        "/api/v1/users",
        json!({"username": "alice", "email": "alice@example.org"}),
    )
    .await
    .expect(201, "alice");
    a.post(
        "/api/v1/users/alice/tokens",
        json!({"type": "hotp", "secret": RFC_SECRET_B32}),
    )
    .await
    .expect(201, "token");
    a.patch("/api/v1/users/alice", json!({"default_method": "email"}))
        .await
        .expect(200, "default email");
    let code = |n| json!({"username": "alice", "code": hotp(RFC_SECRET, n)});
    assert_eq!(verify(&b, code(0)).await["result"], "accepted", "choice on");

    let shown = a.get("/api/v1/settings").await.expect(200, "show").clone();
    assert_eq!(shown["allow_method_choice"], true);
    let saved = a
        .patch("/api/v1/settings", json!({"allow_method_choice": false}))
        .await;
    let saved = saved.expect(200, "save").clone();
    assert_eq!(saved["allow_method_choice"], false);
    assert_eq!(
        saved["lockout_threshold"], shown["lockout_threshold"],
        "others kept"
    );
    let here = verify(&a, code(1)).await;
    assert_eq!(
        here["reason"], "method_not_allowed",
        "this node at once: {here}"
    );

    // The other node reads the stored settings every few seconds.
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let there = verify(&b, code(1)).await;
        if there["reason"] == "method_not_allowed" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "node B still allows a choice: {there}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    // Lockout after 2 failures, as set now (the polling above may have
    // counted reused codes: start from none).
    a.post("/api/v1/users/alice/unlock", json!({}))
        .await
        .expect(200, "unlock");
    a.patch(
        "/api/v1/settings",
        json!({"allow_method_choice": true, "lockout_threshold": 2}),
    )
    .await
    .expect(200, "save");
    for seed in 0..2 {
        let wrong = verify(
            &a,
            json!({"username": "alice", "code": wrong_code(RFC_SECRET, seed)}),
        );
        assert_eq!(wrong.await["reason"], "code_invalid");
    }
    assert_eq!(verify(&a, code(1)).await["reason"], "user_locked_out");

    // Bad values: the field named, nothing saved.
    for (body, field) in [
        (json!({"lockout_threshold": 0}), "lockout_threshold"),
        (json!({"lockout_minutes": 20000}), "lockout_minutes"),
        (json!({"surprise": 1}), "surprise"),
    ] {
        let reply = a.patch("/api/v1/settings", body.clone()).await;
        let message = reply.expect_error(422, "invalid_request", &body.to_string());
        assert!(message.contains(field), "{body}: {message}");
    }
    let now = a.get("/api/v1/settings").await.expect(200, "show").clone();
    assert_eq!(now["lockout_threshold"], 2);

    // The CLI reads and writes the same settings.
    let cli = nodes[0].cli_json(&["settings", "set", "--lockout-minutes", "5"]);
    assert_eq!(
        (
            cli["lockout_minutes"].clone(),
            cli["lockout_threshold"].clone()
        ),
        (json!(5), json!(2))
    );
    let bad = nodes[0].cli(&["settings", "set", "--allow-method-choice", "maybe"]);
    assert!(stderr(&bad).contains("on or off"), "{}", stderr(&bad));
}

#[tokio::test]
async fn push_settings_are_obeyed() {
    let server = Server::start(&Db::sqlite()).await;
    let api = server.api(&server.create_key("settings", "verify,admin"));
    api.post("/api/v1/users", json!({"username": "bob"}))
        .await
        .expect(201, "bob");
    let _device = Device::enrol(&api, &server.base(), "bob").await;
    let push = json!({"username": "bob", "method": "push"});

    api.patch(
        "/api/v1/settings",
        json!({"push_number_matching": false, "push_per_minute": 2}),
    )
    .await
    .expect(200, "save");
    let first = verify(&api, push.clone()).await;
    assert_eq!(first["result"], "pending", "{first}");
    assert!(
        first.get("number").is_none_or(Value::is_null),
        "no number: {first}"
    );

    api.patch("/api/v1/settings", json!({"push_number_matching": true}))
        .await
        .expect(200, "save");
    let second = verify(&api, push.clone()).await;
    assert!(second["number"].is_i64(), "a number to match: {second}");

    // Two a minute, as set: the third is refused as push bombing.
    let third = verify(&api, push).await;
    assert_eq!(third["reason"], "push_rate_limited", "{third}");
    let bad = api
        .patch("/api/v1/settings", json!({"push_per_hour": 1}))
        .await;
    let message = bad.expect_error(422, "invalid_request", "per hour below per minute");
    assert!(message.contains("push_per_hour"), "{message}");
}
