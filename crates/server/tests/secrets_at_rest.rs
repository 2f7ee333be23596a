//! No OATH seed and no API key is kept in clear: not in the SQLite files
//! (database, WAL, shared memory), not in a PostgreSQL dump, and not in the
//! server's log, which never shows codes either.

mod common;

use std::path::Path;

use common::*;
use countersign_otp::base32;
use serde_json::json;

#[tokio::test]
async fn sqlite_files_hold_no_secret_in_clear() {
    let db = Db::sqlite();
    let mut server = Server::start(&db).await;
    let planted = plant_secrets(&server).await;

    // While running, recent writes may still be in the WAL: scan every file together.
    scan(
        &read_dir_files(server.data_dir()),
        &planted,
        "the data directory of a running server",
    );
    let status = server.stop();
    assert!(
        status.success(),
        "the server stops cleanly on SIGTERM: {status}; stderr:\n{}",
        server.stderr()
    );
    let files = read_dir_files(server.data_dir());
    scan(&files, &planted, "the data directory of a stopped server");
    // The CLI still reads the same store after the stop.
    let users = server.cli_json(&["user", "list"]);
    assert_eq!(users.as_array().map(Vec::len), Some(1), "{users}");
}

#[tokio::test]
async fn postgres_dump_holds_no_secret_in_clear() {
    let db = Db::postgres().await;
    let server = Server::start(&db).await;
    let planted = plant_secrets(&server).await;
    let url = db.url().expect("a PostgreSQL URL");
    let output = std::process::Command::new("pg_dump")
        .args(["--data-only", url])
        .output()
        .unwrap_or_else(|e| {
            panic!("pg_dump is needed for this test (apt-get install postgresql-client): {e}")
        });
    assert!(
        output.status.success(),
        "pg_dump failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    scan(
        &[("pg_dump".to_string(), output.stdout)],
        &planted,
        "a dump of the PostgreSQL database",
    );
}

#[tokio::test]
async fn logs_hold_no_secret_sqlite() {
    logs_hold_no_secret(Db::sqlite()).await;
}

#[tokio::test]
async fn logs_hold_no_secret_postgres() {
    logs_hold_no_secret(Db::postgres().await).await;
}

/// What a test put into the store, and what must never be found in clear.
struct Planted {
    /// Labelled byte strings that must not appear.
    secrets: Vec<(String, Vec<u8>)>,
    /// Text that must appear, proving the scan sees the data at all.
    present: Vec<String>,
    /// Codes submitted to the server.
    codes: Vec<String>,
}

/// An API key, a user with a given HOTP seed, a given TOTP seed and a
/// server-generated one, and a few verifications.
async fn plant_secrets(server: &Server) -> Planted {
    let key_output = server.cli(&[
        "apikey",
        "create",
        "--name",
        "planter",
        "--scope",
        "verify,admin",
    ]);
    assert!(
        key_output.status.success(),
        "apikey create: {}",
        String::from_utf8_lossy(&key_output.stderr)
    );
    let key = String::from_utf8(key_output.stdout)
        .expect("UTF-8")
        .trim()
        .to_string();
    let cli_stderr = String::from_utf8_lossy(&key_output.stderr).to_string();
    assert!(
        !cli_stderr.contains(&key),
        "apikey create shows the key on stderr too:\n{cli_stderr}"
    );
    let api = server.api(&key);
    api.post("/api/v1/users", json!({"username": "erin"}))
        .await
        .expect(201, "create erin");

    let hotp_token = api
        .post(
            "/api/v1/users/erin/tokens",
            json!({"type": "hotp", "secret": RFC_SECRET_B32}),
        )
        .await;
    let hotp_id = hotp_token.expect(201, "HOTP token")["id"]
        .as_str()
        .expect("id")
        .to_string();
    let given = countersign_otp::generate_secret(20);
    let totp_token = api
        .post(
            "/api/v1/users/erin/tokens",
            json!({"type": "totp", "secret": base32::encode(&given)}),
        )
        .await;
    totp_token.expect(201, "TOTP token with a given seed");
    let generated = api
        .post("/api/v1/users/erin/tokens", json!({"type": "totp"}))
        .await;
    let generated_text = generated.expect(201, "generated TOTP token")["secret"]
        .as_str()
        .expect("secret")
        .to_string();
    let generated_secret = base32::decode(&generated_text).expect("base32");

    let accepted = hotp(RFC_SECRET, 0);
    assert_eq!(
        api.verify("erin", &accepted).await,
        json!({"result": "accepted"})
    );
    let timed = totp_now(&given);
    assert_eq!(
        api.verify("erin", &timed).await,
        json!({"result": "accepted"})
    );
    let wrong = wrong_code(&given, 42);
    assert_eq!(api.verify("erin", &wrong).await["reason"], "code_invalid");

    let mut secrets = Vec::new();
    for (label, secret) in [
        ("RFC 4226 seed", RFC_SECRET.to_vec()),
        ("given seed", given),
        ("generated seed", generated_secret),
    ] {
        secrets.extend(encodings(label, &secret));
    }
    let key_secret = key
        .rsplit('_')
        .next()
        .expect("cs_prefix_secret")
        .to_string();
    secrets.push(("the API key".into(), key.clone().into_bytes()));
    secrets.push((
        "the secret part of the API key".into(),
        key_secret.into_bytes(),
    ));
    let prefix = key.split('_').nth(1).expect("cs_prefix_secret").to_string();
    Planted {
        secrets,
        present: vec!["erin".into(), hotp_id, prefix],
        codes: vec![accepted, timed, wrong],
    }
}

/// The secret as bytes, base32 (either case), hex (either case) and base64.
fn encodings(label: &str, secret: &[u8]) -> Vec<(String, Vec<u8>)> {
    let b32 = base32::encode(secret);
    let hex: String = secret.iter().map(|b| format!("{b:02x}")).collect();
    vec![
        (format!("{label} (raw bytes)"), secret.to_vec()),
        (format!("{label} (base32)"), b32.clone().into_bytes()),
        (
            format!("{label} (lower-case base32)"),
            b32.to_lowercase().into_bytes(),
        ),
        (format!("{label} (hex)"), hex.clone().into_bytes()),
        (
            format!("{label} (upper-case hex)"),
            hex.to_uppercase().into_bytes(),
        ),
        (
            format!("{label} (base64)"),
            base64(secret).trim_end_matches('=').as_bytes().to_vec(),
        ),
    ]
}

fn read_dir_files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read the data directory") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            files.extend(read_dir_files(&path));
        } else if let Ok(bytes) = std::fs::read(&path) {
            files.push((path.display().to_string(), bytes));
        }
    }
    files
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

fn scan(files: &[(String, Vec<u8>)], planted: &Planted, what: &str) {
    let names: Vec<&str> = files.iter().map(|(name, _)| name.as_str()).collect();
    assert!(
        names.iter().any(|n| n.ends_with(".db") || *n == "pg_dump"),
        "{what}: no database found in {names:?}"
    );
    for (name, bytes) in files {
        for (label, secret) in &planted.secrets {
            assert!(
                !contains(bytes, secret),
                "{what}: {label} is in clear in {name}"
            );
        }
    }
    let all: Vec<u8> = files
        .iter()
        .flat_map(|(_, bytes)| bytes.iter().copied())
        .collect();
    for text in &planted.present {
        assert!(
            contains(&all, text.as_bytes()),
            "{what}: the scan does not see '{text}' in {names:?}"
        );
    }
}

async fn logs_hold_no_secret(db: Db) {
    let server = Server::start_with(&db, &[("COUNTERSIGN_LOG_LEVEL", "debug")]).await;
    let planted = plant_secrets(&server).await;
    // Bad requests that carry a code and a secret must not echo them into the log either.
    let key = server.create_key("second", "verify,admin");
    let api = server.api(&key);
    let code = &planted.codes[0];
    let reply = api
        .post(
            "/api/v1/verify",
            json!({"username": "erin", "code": code, "extra": RFC_SECRET_B32}),
        )
        .await;
    reply.expect_error(422, "invalid_request", "an unknown field");
    let broken = api
        .request(reqwest::Method::POST, "/api/v1/verify")
        .header("content-type", "application/json");
    api.send(broken.body(format!("{{\"username\":\"erin\",\"code\":\"{code}\"")))
        .await
        .expect_error(400, "malformed_json", "cut JSON");
    let unknown = api
        .post(
            "/api/v1/verify",
            json!({"username": "nobody", "code": code}),
        )
        .await;
    unknown.expect_error(404, "unknown_user", "unknown user");
    let cli = server.cli(&["verify", "erin", &planted.codes[1]]);
    assert_eq!(cli.status.code(), Some(1), "the CLI rejects a used code");

    let log = server.stderr();
    assert!(
        log.contains("verification"),
        "the log records verifications at all:\n{log}"
    );
    assert!(
        !log.contains('\u{1b}'),
        "a log written to a file has no terminal colour codes:\n{log}"
    );
    let log_bytes = log.as_bytes();
    for (label, secret) in &planted.secrets {
        assert!(
            !contains(log_bytes, secret),
            "{label} is in the server log:\n{log}"
        );
    }
    assert!(
        !log.contains(&key),
        "the second API key is in the server log:\n{log}"
    );
    let cli_err =
        String::from_utf8_lossy(&cli.stderr).to_string() + &String::from_utf8_lossy(&cli.stdout);
    for code in &planted.codes {
        for line in log.lines() {
            // The first field is the time stamp, whose fraction could be any six digits.
            let rest = line.split_once(' ').map_or("", |(_, rest)| rest);
            assert!(
                !has_number(rest, code),
                "the code {code} is in the server log: {line}"
            );
        }
        assert!(
            !has_number(&cli_err, code),
            "the code {code} is in the CLI's output: {cli_err}"
        );
    }
}

/// `code` as a whole number in `text`, not part of a longer one.
fn has_number(text: &str, code: &str) -> bool {
    text.match_indices(code).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + code.len()..].chars().next();
        !before.is_some_and(|c| c.is_ascii_digit()) && !after.is_some_and(|c| c.is_ascii_digit())
    })
}
