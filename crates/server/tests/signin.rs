//! The sign-in engine through the HTTP door and the CLI: the user's default
//! method, method choice on and off, admin restrictions, and what an
//! attempt without a method or code turns into.

mod common;
mod device;

use common::*;
use device::Device;
use serde_json::{json, Value};

/// Creates `username` with a TOTP token on the RFC secret and, if asked, an activated device.
async fn user(server: &Server, admin: &Api, username: &str, with_device: bool) -> Option<Device> {
    admin
        .post("/api/v1/users", json!({ "username": username }))
        .await
        .expect(201, "create user");
    admin
        .post(
            &format!("/api/v1/users/{username}/tokens"),
            json!({"type": "totp", "secret": RFC_SECRET_B32}),
        )
        .await
        .expect(201, "add token");
    if !with_device {
        return None;
    }
    Some(Device::enrol(admin, &server.base(), username).await)
}

async fn verify(api: &Api, body: Value) -> Value {
    api.post("/api/v1/verify", body)
        .await
        .expect(200, "verify")
        .clone()
}

#[tokio::test]
async fn the_users_method_is_used_and_others_are_refused_when_choice_is_off_sqlite() {
    method_choice_off(Db::sqlite()).await;
}

#[tokio::test]
async fn the_users_method_is_used_and_others_are_refused_when_choice_is_off_postgres() {
    method_choice_off(Db::postgres().await).await;
}

async fn method_choice_off(db: Db) {
    let server =
        Server::start_with(&db, &[("COUNTERSIGN_VERIFY_ALLOW_METHOD_CHOICE", "false")]).await;
    let admin = server.api(&server.create_key("admin", "verify,admin"));
    let _device = user(&server, &admin, "alice", true).await;

    // No method, no code: the default with a device is push.
    let started = verify(&admin, json!({"username": "alice"})).await;
    assert_eq!(started["result"], "pending", "{started}");
    assert_eq!(started["method"], "push", "{started}");
    assert!(started["transaction_id"]
        .as_str()
        .is_some_and(|t| t.starts_with("txn_")));

    // A code implies otp, which is not alice's default: refused.
    let code = totp_now(RFC_SECRET);
    let refused = verify(&admin, json!({"username": "alice", "code": code})).await;
    assert_eq!(refused["result"], "rejected", "{refused}");
    assert_eq!(refused["reason"], "method_not_allowed", "{refused}");

    // The admin makes otp her default: now the code works and push is refused.
    let patched = admin
        .patch("/api/v1/users/alice", json!({"default_method": "otp"}))
        .await;
    assert_eq!(patched.expect(200, "patch")["default_method"], "otp");
    let accepted = verify(&admin, json!({"username": "alice", "code": code})).await;
    assert_eq!(accepted, json!({"result": "accepted"}));
    let push = verify(&admin, json!({"username": "alice", "method": "push"})).await;
    assert_eq!(push["reason"], "method_not_allowed", "{push}");
    let asked = verify(&admin, json!({"username": "alice"})).await;
    assert_eq!(
        asked["result"], "challenge",
        "otp without a code asks for one: {asked}"
    );
    assert_eq!(asked["method"], "otp");

    let audit = admin.get("/api/v1/audit?username=alice").await;
    let reasons: Vec<&str> = audit.body["records"]
        .as_array()
        .expect("records")
        .iter()
        .filter_map(|r| r["reason"].as_str())
        .collect();
    assert_eq!(
        reasons
            .iter()
            .filter(|r| **r == "method_not_allowed")
            .count(),
        2,
        "both refusals are audited: {}",
        audit.text
    );
}

#[tokio::test]
async fn restrictions_defaults_and_bad_settings() {
    let db = Db::sqlite();
    let server = Server::start(&db).await;
    let admin = server.api(&server.create_key("admin", "verify,admin"));
    let _device = user(&server, &admin, "bob", true).await;
    let _ = user(&server, &admin, "carol", false).await;

    // Choice is on by default: bob may use a code or push, whatever his default.
    let code = totp_now(RFC_SECRET);
    assert_eq!(
        verify(&admin, json!({"username": "bob", "code": code})).await,
        json!({"result": "accepted"})
    );
    let push = verify(&admin, json!({"username": "bob", "method": "push"})).await;
    assert_eq!(push["result"], "pending", "{push}");
    // Carol has no device: her default is otp, so an empty attempt asks for the code.
    let asked = verify(&admin, json!({"username": "carol"})).await;
    assert_eq!(asked["result"], "challenge", "{asked}");
    assert_eq!(asked["method"], "otp");

    // An admin restriction refuses what is not on the list, whatever the policy.
    let patched = admin
        .patch("/api/v1/users/bob", json!({"allowed_methods": ["push"]}))
        .await;
    assert_eq!(
        patched.expect(200, "restrict")["allowed_methods"],
        json!(["push"])
    );
    let next = totp_now(RFC_SECRET);
    let refused = verify(&admin, json!({"username": "bob", "code": next})).await;
    assert_eq!(refused["reason"], "method_not_allowed", "{refused}");
    let lifted = admin
        .patch("/api/v1/users/bob", json!({"allowed_methods": null}))
        .await;
    assert!(lifted.expect(200, "lift")["allowed_methods"].is_null());

    // Bad settings are refused with the field named.
    let unknown = admin
        .patch("/api/v1/users/bob", json!({"default_method": "fax"}))
        .await;
    let message = unknown.expect_error(422, "invalid_request", "an unknown method");
    assert!(message.contains("fax"), "{message}");
    let empty = admin
        .patch("/api/v1/users/bob", json!({"allowed_methods": []}))
        .await;
    let message = empty.expect_error(422, "invalid_request", "an empty list");
    assert!(message.contains("allowed_methods"), "{message}");
    let bad = admin
        .post(
            "/api/v1/verify",
            json!({"username": "bob", "method": "fax"}),
        )
        .await;
    bad.expect_error(422, "invalid_request", "an unknown method on verify");

    // A user with nothing at all: no method.
    admin
        .post("/api/v1/users", json!({"username": "dave"}))
        .await
        .expect(201, "dave");
    let nothing = verify(&admin, json!({"username": "dave"})).await;
    assert_eq!(nothing["reason"], "no_method", "{nothing}");
}

#[tokio::test]
async fn cli_sets_the_default_method_and_verify_goes_through_the_engine() {
    let db = Db::sqlite();
    let server = Server::new(&db);
    server.cli_ok(&["user", "add", "erin"]);
    let set = server.cli_json(&[
        "user",
        "set",
        "erin",
        "--default-method",
        "push",
        "--allowed-methods",
        "push,otp",
    ]);
    assert_eq!(set["default_method"], "push", "{set}");
    assert_eq!(set["allowed_methods"], json!(["push", "otp"]), "{set}");
    let bad = server.cli(&["user", "set", "erin", "--default-method", "fax"]);
    assert!(!bad.status.success());
    assert!(stderr(&bad).contains("'fax'"), "{}", stderr(&bad));
    let back = server.cli_json(&[
        "user",
        "set",
        "erin",
        "--default-method",
        "default",
        "--allowed-methods",
        "all",
    ]);
    assert!(
        back["default_method"].is_null() && back["allowed_methods"].is_null(),
        "{back}"
    );
    // Erin has no token: the engine says so through the CLI door too.
    let output = server.cli(&["verify", "erin", "123456"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stdout(&output).contains("no_method"), "{}", stdout(&output));
}
