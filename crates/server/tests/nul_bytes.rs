//! Names and filters holding a NUL character: no user can have one
//! (usernames refuse control characters), so they find nothing, with the
//! documented 4xx answers. PostgreSQL refuses NUL in text; that must not
//! become a server error.

mod common;

use common::*;
use serde_json::json;

#[tokio::test]
async fn nul_in_names_sqlite() {
    nul_in_names(Db::sqlite()).await;
}

#[tokio::test]
async fn nul_in_names_postgres() {
    nul_in_names(Db::postgres().await).await;
}

async fn nul_in_names(db: Db) {
    let mut server = Server::start(&db).await;
    let both = server.api(&server.create_key("both", "verify,admin"));
    both.post("/api/v1/users", json!({"username": "alice"}))
        .await
        .expect(201, "create alice");
    let created = both
        .post("/api/v1/users", json!({"username": "a\u{0}b"}))
        .await;
    created.expect_error(422, "invalid_request", "a username with NUL");

    let verify = both
        .post(
            "/api/v1/verify",
            json!({"username": "a\u{0}b", "code": "123456"}),
        )
        .await;
    let code = verify.body["error"]["code"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        (verify.status, code.as_str()) == (404, "unknown_user") || (verify.status, code.as_str()) == (422, "invalid_request"),
        "verify for a username with NUL: expected 404 unknown_user or 422 invalid_request, got {} {}",
        verify.status,
        verify.text
    );
    for path in ["/api/v1/users/a%00b", "/api/v1/users/a%00b/tokens"] {
        both.get(path)
            .await
            .expect_error(404, "not_found", &format!("GET {path}"));
    }
    both.delete("/api/v1/users/a%00b").await.expect_error(
        404,
        "not_found",
        "DELETE a username with NUL",
    );
    let unlock = both.post("/api/v1/users/a%00b/unlock", json!({})).await;
    unlock.expect_error(404, "not_found", "unlock a username with NUL");
    // No user has a NUL in the name: these filters find none (or are refused).
    for path in ["/api/v1/users?query=a%00", "/api/v1/users?after=z%00"] {
        let reply = both.get(path).await;
        if reply.status == 200 {
            assert_eq!(reply.body["users"], json!([]), "GET {path} finds nothing");
        } else {
            reply.expect_error(400, "bad_query", &format!("GET {path}"));
        }
    }
    // The audit may hold the refused attempt above, so only its shape is checked.
    let audit = both.get("/api/v1/audit?username=a%00b").await;
    if audit.status == 200 {
        assert!(audit.body["records"].is_array(), "audit: {}", audit.text);
    } else {
        audit.expect_error(400, "bad_query", "GET /api/v1/audit?username=a%00b");
    }
    assert!(server.is_running(), "the server is still running");
    assert_eq!(
        both.verify("alice", "123456").await["reason"],
        "no_method",
        "and still serves"
    );
}
