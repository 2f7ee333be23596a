//! The operator CLI, run as a process on the same store as a running
//! server: users, tokens, verify, API keys and migrate,
//! as text for people and as JSON for scripts.

mod common;

use std::process::Output;

use common::*;
use countersign_otp::uri::KeyUri;
use countersign_otp::{base32, Kind};
use serde_json::{json, Value};

#[tokio::test]
async fn users_sqlite() {
    users(Db::sqlite()).await;
}

#[tokio::test]
async fn users_postgres() {
    users(Db::postgres().await).await;
}

#[tokio::test]
async fn tokens_and_verify_sqlite() {
    tokens_and_verify(Db::sqlite()).await;
}

#[tokio::test]
async fn tokens_and_verify_postgres() {
    tokens_and_verify(Db::postgres().await).await;
}

#[tokio::test]
async fn api_keys_and_migrate_sqlite() {
    api_keys_and_migrate(Db::sqlite()).await;
}

#[tokio::test]
async fn api_keys_and_migrate_postgres() {
    api_keys_and_migrate(Db::postgres().await).await;
}

/// Expects the command to fail with exit code 1 and a message containing `needle`.
#[track_caller]
fn expect_failure(output: &Output, needle: &str, what: &str) {
    assert_eq!(
        output.status.code(),
        Some(1),
        "{what}: expected exit 1; stdout: {}; stderr: {}",
        stdout(output),
        stderr(output)
    );
    assert!(
        stderr(output).contains(needle),
        "{what}: stderr should mention '{needle}': {}",
        stderr(output)
    );
}

async fn users(db: Db) {
    let server = Server::start(&db).await;
    let api = server.api(&server.create_key("ops", "admin"));

    let added = server.cli_ok(&[
        "user",
        "add",
        "frank",
        "--display-name",
        "Frank Castle",
        "--email",
        "frank@example.org",
    ]);
    assert!(
        added.contains("frank") && added.contains("Frank Castle"),
        "user add describes the user: {added}"
    );
    let shown = api
        .get("/api/v1/users/frank")
        .await
        .expect(200, "the server sees the CLI's user")
        .clone();
    assert_eq!(shown["display_name"], "Frank Castle");
    let json_user = server.cli_json(&["user", "add", "grace", "--phone", "+44 1632 960123"]);
    assert_eq!(
        (&json_user["username"], &json_user["phone"]),
        (&json!("grace"), &json!("+441632960123")),
        "{json_user}"
    );
    expect_failure(
        &server.cli(&["user", "add", "GRACE"]),
        "already exists",
        "a duplicate username",
    );
    expect_failure(
        &server.cli(&["user", "add", "heidi", "--phone", "12345"]),
        "E.164",
        "a bad phone",
    );

    let list = server.cli_ok(&["user", "list"]);
    assert!(
        list.contains("USERNAME") && list.contains("frank") && list.contains("grace"),
        "user list: {list}"
    );
    let listed = server.cli_json(&["user", "list"]);
    let names: Vec<&str> = listed
        .as_array()
        .expect("a JSON array")
        .iter()
        .map(|u| u["username"].as_str().expect("name"))
        .collect();
    assert_eq!(names, ["frank", "grace"]);
    let page = server.cli_json(&["user", "list", "--limit", "1", "--after", "frank"]);
    assert_eq!(page.as_array().map(|a| a.len()), Some(1));
    assert_eq!(page[0]["username"], "grace");
    let found = server.cli_json(&["user", "list", "--query", "CASTLE"]);
    assert_eq!(
        found.as_array().map(|a| a.len()),
        Some(1),
        "query ignores case: {found}"
    );

    let text = server.cli_ok(&["user", "show", "frank"]);
    assert!(
        text.contains("frank@example.org") && text.contains("enabled:         yes"),
        "user show: {text}"
    );
    let updated = server.cli_json(&[
        "user",
        "update",
        "frank",
        "--email",
        "castle@example.org",
        "--display-name",
        "",
    ]);
    assert_eq!(
        (&updated["email"], &updated["display_name"]),
        (&json!("castle@example.org"), &Value::Null),
        "{updated}"
    );
    let disabled = server.cli_json(&["user", "disable", "frank"]);
    assert_eq!(disabled["enabled"], false);
    assert_eq!(
        api.get("/api/v1/users/frank").await.expect(200, "show")["enabled"],
        false,
        "the server sees the disable"
    );
    let text = server.cli_ok(&["user", "enable", "frank"]);
    assert!(text.contains("enabled:         yes"), "user enable: {text}");
    let unlocked = server.cli_json(&["user", "unlock", "frank"]);
    assert_eq!(unlocked["failed_attempts"], 0);

    let deleted = server.cli_json(&["user", "delete", "grace"]);
    assert_eq!(deleted, json!({"deleted": "grace"}));
    let text = server.cli_ok(&["user", "delete", "frank"]);
    assert!(text.contains("deleted"), "user delete: {text}");
    expect_failure(
        &server.cli(&["user", "show", "frank"]),
        "not found",
        "a deleted user",
    );
    api.get("/api/v1/users/grace").await.expect_error(
        404,
        "not_found",
        "the server sees the delete",
    );
    let empty = server.cli_ok(&["user", "list"]);
    assert!(
        empty.contains("(no users)"),
        "an empty list says so: {empty}"
    );
}

async fn tokens_and_verify(db: Db) {
    let server = Server::start(&db).await;
    let api = server.api(&server.create_key("app", "verify"));
    server.cli_ok(&["user", "add", "ivan"]);

    let text = server.cli_ok(&["token", "add", "ivan"]);
    let uri_text = text
        .split_whitespace()
        .find(|w| w.starts_with("otpauth://"))
        .unwrap_or_else(|| panic!("token add prints the otpauth URI: {text}"));
    let uri = KeyUri::parse(uri_text).unwrap_or_else(|e| panic!("{uri_text}: {e}"));
    assert_eq!(
        (uri.kind, uri.account.as_str(), uri.issuer.as_deref()),
        (Kind::Totp, "ivan", Some("Countersign"))
    );
    assert!(
        !text.contains('\u{1b}'),
        "no ANSI QR code when the output is not a terminal"
    );

    let png = server.data_dir().join("qr.png");
    let png_arg = png.to_str().expect("UTF-8 path");
    let added = server.cli_json(&["token", "add", "ivan", "--png", png_arg]);
    let bytes = std::fs::read(&png).expect("token add --png writes the file");
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "a PNG signature");
    assert!(bytes.len() > 100, "a whole PNG");
    let second_id = added["token"]["id"].as_str().expect("token id").to_string();
    let second_secret = base32::decode(added["secret"].as_str().expect("secret")).expect("base32");
    assert!(
        added["otpauth_uri"]
            .as_str()
            .is_some_and(|u| u.starts_with("otpauth://totp/")),
        "{added}"
    );

    let hotp_added = server.cli_json(&[
        "token",
        "add",
        "ivan",
        "--type",
        "hotp",
        "--secret",
        RFC_SECRET_B32,
        "--counter",
        "5",
    ]);
    assert_eq!(
        hotp_added["secret"],
        Value::Null,
        "a given secret is not printed back: {hotp_added}"
    );
    assert_eq!(hotp_added["token"]["counter"], 5);

    let list = server.cli_ok(&["token", "list", "ivan"]);
    assert!(
        list.contains(&second_id) && list.contains("hotp"),
        "token list: {list}"
    );
    let listed = server.cli_json(&["token", "list", "ivan"]);
    assert_eq!(listed.as_array().map(|a| a.len()), Some(3), "{listed}");
    let listed_text = listed.to_string();
    assert!(
        !listed_text.contains(&base32::encode(&second_secret)),
        "token list never shows secrets"
    );

    // verify: exit 0 on accept, 1 on reject, by the CLI and seen by the server.
    let code = totp_now(&second_secret);
    let accepted = server.cli(&["verify", "ivan", &code]);
    assert_eq!(
        accepted.status.code(),
        Some(0),
        "accept: {} {}",
        stdout(&accepted),
        stderr(&accepted)
    );
    assert!(stdout(&accepted).contains("accepted"));
    let replay = server.cli(&["--json", "verify", "ivan", &code]);
    assert_eq!(replay.status.code(), Some(1), "a replay exits 1");
    let body: Value = serde_json::from_str(&stdout(&replay)).expect("verify --json prints JSON");
    assert_eq!(body, json!({"result": "rejected", "reason": "code_reused"}));
    assert_eq!(
        api.verify("ivan", &code).await["reason"],
        "code_reused",
        "the server sees the CLI's use"
    );
    let hotp_code = hotp(RFC_SECRET, 5);
    assert_eq!(
        api.verify("ivan", &hotp_code).await,
        json!({"result": "accepted"})
    );
    let rejected = server.cli(&["verify", "ivan", &hotp_code]);
    assert_eq!(
        rejected.status.code(),
        Some(1),
        "the API's use is seen by the CLI: {}",
        stdout(&rejected)
    );
    assert!(
        stdout(&rejected).contains("code_reused"),
        "the reason is printed: {}",
        stdout(&rejected)
    );
    assert_eq!(
        server.cli(&["verify", "nobody", "123456"]).status.code(),
        Some(1),
        "an unknown user is a reject"
    );

    let deleted = server.cli_json(&["token", "delete", "ivan", &second_id]);
    assert_eq!(deleted, json!({"deleted": second_id}));
    assert_eq!(
        server
            .cli_json(&["token", "list", "ivan"])
            .as_array()
            .map(|a| a.len()),
        Some(2)
    );
    expect_failure(
        &server.cli(&["token", "delete", "ivan", &second_id]),
        "not found",
        "deleting twice",
    );
}

async fn api_keys_and_migrate(db: Db) {
    let server = Server::start(&db).await;
    let key = server.create_key("billing", "verify");
    let other = server.create_key("portal", "verify,admin");
    let api = server.api(&key);
    api.post(
        "/api/v1/verify",
        json!({"username": "nobody", "code": "123456"}),
    )
    .await
    .expect_error(404, "unknown_user", "a live key");

    let list = server.cli_ok(&["apikey", "list"]);
    assert!(
        list.contains("billing") && list.contains("portal"),
        "apikey list: {list}"
    );
    let listed = server.cli_json(&["apikey", "list"]);
    assert_eq!(listed.as_array().map(|a| a.len()), Some(2), "{listed}");
    for text in [&list, &listed.to_string()] {
        for secret in [&key, &other] {
            let secret_part = secret.rsplit('_').next().expect("secret part");
            assert!(
                !text.contains(secret_part),
                "apikey list shows a secret:\n{text}"
            );
        }
    }
    let prefix = key.split('_').nth(1).expect("prefix");
    assert!(
        list.contains(prefix),
        "apikey list shows the prefix to tell keys apart: {list}"
    );
    expect_failure(
        &server.cli(&["apikey", "create", "--name", "billing"]),
        "already exists",
        "a duplicate live name",
    );
    expect_failure(
        &server.cli(&["apikey", "create", "--name", "x", "--scope", "root"]),
        "root",
        "an unknown scope",
    );

    let revoked = server.cli_json(&["apikey", "revoke", "billing"]);
    assert_eq!(revoked, json!({"revoked": "billing"}));
    let reply = api
        .post(
            "/api/v1/verify",
            json!({"username": "nobody", "code": "123456"}),
        )
        .await;
    reply.expect_error(401, "unauthorized", "a revoked key on the running server");
    let still = server.api(&other).get("/api/v1/users").await;
    still.expect(200, "the other key still works");
    let listed = server.cli_json(&["apikey", "list"]);
    let billing = listed
        .as_array()
        .expect("array")
        .iter()
        .find(|k| k["name"] == "billing")
        .expect("billing listed")
        .clone();
    assert!(
        billing["revoked_at"].is_i64(),
        "revoked_at is set: {billing}"
    );
    expect_failure(
        &server.cli(&["apikey", "revoke", "nosuchkey"]),
        "not found",
        "revoking an unknown key",
    );

    let text = server.cli_ok(&["migrate"]);
    let first = text.lines().next().unwrap_or_default();
    assert!(
        first.split_whitespace().take(2).eq(["1", "applied"]),
        "migrate reports version 1 applied: {text}"
    );
    let status = server.cli_json(&["migrate", "--status"]);
    let versions = status.as_array().expect("array");
    assert_eq!(versions[0]["version"], 1);
    assert_eq!(versions[0]["applied"], true);
    assert!(
        versions.iter().all(|v| v["applied"] == true),
        "nothing pending: {status}"
    );
}
