//! PIN + code: a user with a PIN types the PIN before the code, for OATH
//! codes (every door, through the Verifier) and, in PIN mode, for codes by
//! SMS and email.

mod common;

use common::*;
use serde_json::json;

#[tokio::test]
async fn pin_plus_code_for_oath_codes() {
    let db = Db::sqlite();
    let server = Server::start(&db).await;
    let admin = server.api(&server.create_key("admin", "verify,admin"));
    admin
        .post("/api/v1/users", json!({"username": "alice"}))
        .await
        .expect(201, "alice");
    admin
        .post(
            "/api/v1/users/alice/tokens",
            json!({"type": "hotp", "secret": RFC_SECRET_B32}),
        )
        .await
        .expect(201, "token");
    admin
        .put_json("/api/v1/users/alice/pin", json!({"pin": "12ab"}))
        .await
        .expect_error(422, "invalid_request", "a PIN is digits");
    assert_eq!(
        admin
            .put_json("/api/v1/users/alice/pin", json!({"pin": "2468"}))
            .await
            .status,
        204
    );

    assert_eq!(
        admin.verify("alice", &hotp(RFC_SECRET, 0)).await["reason"],
        "code_malformed",
        "the code alone is not enough"
    );
    assert_eq!(
        admin
            .verify("alice", &format!("1357{}", hotp(RFC_SECRET, 0)))
            .await["reason"],
        "pin_incorrect"
    );
    assert_eq!(
        admin
            .verify("alice", &format!("2468{}", hotp(RFC_SECRET, 0)))
            .await["result"],
        "accepted"
    );

    server.cli_ok(&["user", "clear-pin", "alice"]);
    assert_eq!(
        admin.verify("alice", &hotp(RFC_SECRET, 1)).await["result"],
        "accepted",
        "without a PIN, the code alone"
    );
    let shown = admin.get("/api/v1/users/alice").await;
    assert!(
        !shown.text.contains("argon2"),
        "the PIN hash is never shown: {}",
        shown.text
    );
}
