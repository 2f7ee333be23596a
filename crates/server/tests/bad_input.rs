//! Bad requests get the documented status and the one error shape
//! `{"error":{"code","message"}}` with a message, never a 500, and the
//! server keeps running. Also the OpenAPI document and the metrics.

mod common;

use std::collections::BTreeMap;

use common::*;
use reqwest::Method;
use serde_json::{json, Value};

#[tokio::test]
async fn bad_input_sqlite() {
    bad_input(Db::sqlite()).await;
}

#[tokio::test]
async fn bad_input_postgres() {
    bad_input(Db::postgres().await).await;
}

async fn bad_input(db: Db) {
    let mut server = Server::start(&db).await;
    let admin = server.api(&server.create_key("admin", "admin"));
    let app = server.api(&server.create_key("app", "verify"));
    admin
        .post("/api/v1/users", json!({"username": "Alice"}))
        .await
        .expect(201, "create Alice");
    let token = admin
        .post(
            "/api/v1/users/Alice/tokens",
            json!({"type": "hotp", "secret": RFC_SECRET_B32}),
        )
        .await;
    token.expect(201, "add Alice's token");

    bodies(&admin, &app).await;
    validation(&admin, &app).await;
    authentication(&server, &admin, &app).await;
    routing_and_queries(&admin).await;

    // The only verifications that reached the engine: one accepted, one
    // replay and one unknown user. Everything else was refused before it.
    assert_eq!(
        app.verify("alice", &hotp(RFC_SECRET, 0)).await,
        json!({"result": "accepted"})
    );
    let replay = app.verify("ALICE", &hotp(RFC_SECRET, 0)).await;
    assert_eq!(replay["reason"], "code_reused", "{replay}");
    metrics_match(&server).await;
    openapi(&server).await;

    assert!(
        server.is_running(),
        "the server survived the bad input; stderr:\n{}",
        server.stderr()
    );
    let health = server.anonymous().get("/healthz").await;
    assert_eq!(health.expect(200, "healthz")["status"], "ok");
    let log = server.stderr();
    assert!(!log.contains("panicked"), "the server panicked:\n{log}");
}

async fn bodies(admin: &Api, app: &Api) {
    let malformed = admin
        .request(Method::POST, "/api/v1/users")
        .header("content-type", "application/json")
        .body("{\"username\":");
    admin
        .send(malformed)
        .await
        .expect_error(400, "malformed_json", "truncated JSON");
    let not_json = app
        .request(Method::POST, "/api/v1/verify")
        .header("content-type", "application/json")
        .body("username=alice");
    app.send(not_json)
        .await
        .expect_error(400, "malformed_json", "a form body declared as JSON");

    let unknown = admin
        .post(
            "/api/v1/users",
            json!({"username": "bob", "colour": "blue"}),
        )
        .await;
    let message = unknown.expect_error(422, "invalid_request", "an unknown field");
    assert!(
        message.contains("colour"),
        "the message names the field: {message}"
    );
    let unknown = app
        .post(
            "/api/v1/verify",
            json!({"username": "alice", "code": "123456", "pin": "1"}),
        )
        .await;
    unknown.expect_error(422, "invalid_request", "an unknown field on verify");
    let missing = app.post("/api/v1/verify", json!({"code": "123456"})).await;
    missing.expect_error(422, "invalid_request", "a missing field");
    let otp_without_code = app
        .post(
            "/api/v1/verify",
            json!({"username": "alice", "method": "otp"}),
        )
        .await;
    otp_without_code.expect_error(422, "invalid_request", "otp without a code");
    let wrong_type = app
        .post(
            "/api/v1/verify",
            json!({"username": "alice", "code": 123456}),
        )
        .await;
    wrong_type.expect_error(422, "invalid_request", "a number for a string");

    let untyped = admin
        .request(Method::POST, "/api/v1/users")
        .body(json!({"username": "bob"}).to_string());
    admin
        .send(untyped)
        .await
        .expect_error(415, "unsupported_media_type", "no Content-Type");
    let text = app
        .request(Method::POST, "/api/v1/verify")
        .header("content-type", "text/plain")
        .body("{}");
    app.send(text)
        .await
        .expect_error(415, "unsupported_media_type", "Content-Type text/plain");

    let huge = json!({"username": "x".repeat(100_000), "code": "123456"});
    app.post("/api/v1/verify", huge)
        .await
        .expect_error(413, "body_too_large", "a 100 kB body");
    let huge = json!({"username": "bob", "display_name": "y".repeat(70_000)});
    admin
        .post("/api/v1/users", huge)
        .await
        .expect_error(413, "body_too_large", "a 70 kB user");
}

async fn validation(admin: &Api, app: &Api) {
    let unknown = app
        .post(
            "/api/v1/verify",
            json!({"username": "nobody", "code": "123456"}),
        )
        .await;
    unknown.expect_error(404, "unknown_user", "verify for an unknown user");
    admin
        .get("/api/v1/users/nobody")
        .await
        .expect_error(404, "not_found", "show an unknown user");
    admin.delete("/api/v1/users/nobody").await.expect_error(
        404,
        "not_found",
        "delete an unknown user",
    );
    let tokens = admin
        .post("/api/v1/users/nobody/tokens", json!({"type": "totp"}))
        .await;
    tokens.expect_error(404, "not_found", "a token for an unknown user");

    let base32 = admin
        .post(
            "/api/v1/users/alice/tokens",
            json!({"type": "totp", "secret": "NOT*BASE32!"}),
        )
        .await;
    let message = base32.expect_error(422, "invalid_request", "a secret that is not base32");
    assert!(
        message.contains("base32"),
        "the message says base32: {message}"
    );
    let short = admin
        .post(
            "/api/v1/users/alice/tokens",
            json!({"type": "totp", "secret": "GEZDGNBV"}),
        )
        .await;
    short.expect_error(422, "invalid_request", "a 40-bit secret");
    let kind = admin
        .post("/api/v1/users/alice/tokens", json!({"type": "sms"}))
        .await;
    kind.expect_error(422, "invalid_request", "an unknown token type");
    let digits = admin
        .post(
            "/api/v1/users/alice/tokens",
            json!({"type": "totp", "digits": 12}),
        )
        .await;
    digits.expect_error(422, "invalid_request", "12 digits");

    let phone = admin
        .post(
            "/api/v1/users",
            json!({"username": "bob", "phone": "12345"}),
        )
        .await;
    let message = phone.expect_error(422, "invalid_request", "a phone number that is not E.164");
    assert!(
        message.contains("E.164"),
        "the message says what is expected: {message}"
    );
    let email = admin
        .post("/api/v1/users", json!({"username": "bob", "email": "bob"}))
        .await;
    email.expect_error(422, "invalid_request", "an email address without a domain");
    let patch = admin
        .patch("/api/v1/users/alice", json!({"phone": "+0"}))
        .await;
    patch.expect_error(422, "invalid_request", "a bad phone in a PATCH");
    let empty = admin.post("/api/v1/users", json!({"username": ""})).await;
    empty.expect_error(422, "invalid_request", "an empty username");

    let duplicate = admin
        .post("/api/v1/users", json!({"username": "aLiCe"}))
        .await;
    duplicate.expect_error(409, "conflict", "a username that differs only by case");
}

async fn authentication(server: &Server, admin: &Api, app: &Api) {
    let anonymous = server.anonymous();
    let verify = json!({"username": "alice", "code": "123456"});
    anonymous
        .post("/api/v1/verify", verify.clone())
        .await
        .expect_error(401, "unauthorized", "verify without a key");
    anonymous.get("/api/v1/users").await.expect_error(
        401,
        "unauthorized",
        "list users without a key",
    );
    for wrong in [
        "cs_abcdefgh_wrongwrongwrongwrongwrongwrongwron",
        "nonsense",
        "",
    ] {
        let api = server.api(wrong);
        api.post("/api/v1/verify", verify.clone())
            .await
            .expect_error(401, "unauthorized", &format!("key '{wrong}'"));
        api.get("/api/v1/audit").await.expect_error(
            401,
            "unauthorized",
            &format!("key '{wrong}' on audit"),
        );
    }
    let basic = anonymous
        .request(Method::GET, "/api/v1/users")
        .basic_auth("admin", Some("secret"));
    anonymous
        .send(basic)
        .await
        .expect_error(401, "unauthorized", "Basic instead of Bearer");

    let message =
        app.get("/api/v1/users")
            .await
            .expect_error(403, "forbidden", "a verify key listing users");
    assert!(
        message.contains("admin"),
        "the message names the missing scope: {message}"
    );
    app.post("/api/v1/users", json!({"username": "mallory"}))
        .await
        .expect_error(403, "forbidden", "a verify key creating a user");
    app.get("/api/v1/audit")
        .await
        .expect_error(403, "forbidden", "a verify key reading the audit");
    app.post("/api/v1/users/alice/unlock", json!({}))
        .await
        .expect_error(403, "forbidden", "a verify key unlocking");
    admin.post("/api/v1/verify", verify).await.expect_error(
        403,
        "forbidden",
        "an admin-only key verifying",
    );
    admin.get("/api/v1/users/mallory").await.expect_error(
        404,
        "not_found",
        "the forbidden create did nothing",
    );
}

async fn routing_and_queries(admin: &Api) {
    admin
        .get("/api/v1/nothing")
        .await
        .expect_error(404, "not_found", "an unknown API path");
    admin
        .get("/nothing")
        .await
        .expect_error(404, "not_found", "an unknown path");
    admin.delete("/api/v1/verify").await.expect_error(
        405,
        "method_not_allowed",
        "DELETE /api/v1/verify",
    );
    let put = admin.request(Method::PUT, "/api/v1/users").json(&json!({}));
    admin
        .send(put)
        .await
        .expect_error(405, "method_not_allowed", "PUT /api/v1/users");

    admin
        .get("/api/v1/users?limit=abc")
        .await
        .expect_error(400, "bad_query", "limit=abc");
    admin
        .get("/api/v1/users?limit=0")
        .await
        .expect_error(400, "bad_query", "limit=0");
    admin.get("/api/v1/users?colour=blue").await.expect_error(
        400,
        "bad_query",
        "an unknown parameter",
    );
    let message = admin
        .get("/api/v1/audit?since=notatime")
        .await
        .expect_error(400, "bad_query", "since=notatime");
    assert!(
        message.contains("RFC 3339"),
        "the message shows the format: {message}"
    );
    admin
        .get("/api/v1/audit?result=maybe")
        .await
        .expect_error(400, "bad_query", "result=maybe");
    admin
        .get("/api/v1/audit?limit=-1")
        .await
        .expect_error(400, "bad_query", "limit=-1");
}

/// `countersign_verifications_total` counts exactly what this test did.
async fn metrics_match(server: &Server) {
    let reply = server.anonymous().get("/metrics").await;
    assert_eq!(reply.status, 200, "metrics: {}", reply.text);
    assert!(
        reply.content_type.starts_with("text/plain"),
        "Prometheus text: {}",
        reply.content_type
    );
    let counts: BTreeMap<(String, String), u64> = reply
        .text
        .lines()
        .filter_map(|line| line.strip_prefix("countersign_verifications_total{"))
        .map(|rest| {
            let (labels, value) = rest.split_once("} ").expect("labels and a value");
            let label = |name: &str| {
                let start = labels.find(&format!("{name}=\"")).expect("the label") + name.len() + 2;
                labels[start..]
                    .split('"')
                    .next()
                    .expect("a quoted value")
                    .to_string()
            };
            (
                (label("result"), label("reason")),
                value.trim().parse().expect("a count"),
            )
        })
        .collect();
    let mut expected = BTreeMap::new();
    expected.insert(("accepted".to_string(), String::new()), 1);
    expected.insert(("rejected".to_string(), "code_reused".to_string()), 1);
    expected.insert(("rejected".to_string(), "unknown_user".to_string()), 1);
    let nonzero: BTreeMap<_, _> = counts
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(k, n)| (k.clone(), *n))
        .collect();
    assert_eq!(nonzero, expected, "metrics:\n{}", reply.text);
    assert!(
        counts.contains_key(&("rejected".to_string(), "code_invalid".to_string())),
        "every reason is listed"
    );
    let histogram = reply
        .text
        .lines()
        .find(|l| l.starts_with("countersign_verification_duration_seconds_count"));
    assert_eq!(
        histogram.and_then(|l| l.split(' ').nth(1)),
        Some("3"),
        "latency histogram count"
    );
}

async fn openapi(server: &Server) {
    let reply = server.anonymous().get("/api/v1/openapi.json").await;
    let doc: &Value = reply.expect(200, "openapi.json");
    assert!(
        doc["openapi"].as_str().is_some_and(|v| v.starts_with('3')),
        "an OpenAPI 3 document: {}",
        reply.text
    );
    let paths = doc["paths"].as_object().expect("paths");
    for path in [
        "/api/v1/verify",
        "/api/v1/users",
        "/api/v1/users/{username}",
        "/api/v1/users/{username}/tokens",
        "/api/v1/audit",
    ] {
        assert!(
            paths.contains_key(path),
            "{path} is documented; paths: {:?}",
            paths.keys().collect::<Vec<_>>()
        );
    }
    assert!(
        paths["/api/v1/verify"]["post"].is_object(),
        "POST /api/v1/verify is documented"
    );
}
