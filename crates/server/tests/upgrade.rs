//! Upgrades: a database written by release 0.1.0 (committed under
//! tests/fixtures/upgrade-0.1.0, made by fixtures/make-upgrade-fixture.sh:
//! users, HOTP and TOTP tokens, an activated device, a queued welcome email)
//! migrates to this build's schema and its tokens still verify; a database
//! whose schema is newer than this build knows is refused with words saying so.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use common::*;

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/upgrade-0.1.0");

/// A node whose data directory holds a copy of the fixture.
fn node_on_fixture() -> Server {
    let server = Server::new(&Db::sqlite());
    for file in ["countersign.db", "encryption.key"] {
        let to = server.data_dir().join(file);
        std::fs::copy(Path::new(FIXTURE).join(file), &to).expect("copy the fixture");
        std::fs::set_permissions(&to, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    }
    server
}

#[tokio::test]
async fn a_release_0_1_0_database_migrates_and_its_tokens_verify() {
    let mut server = node_on_fixture();
    server.cli_ok(&["migrate"]);
    let status = server.cli_json(&["migrate", "--status"]);
    let rows = status.as_array().expect("migrations");
    assert!(
        rows.iter().all(|m| m["applied"] == true),
        "every migration applied: {status}"
    );
    let users = server.cli_ok(&["user", "list"]);
    assert!(
        users.contains("alice") && users.contains("bob"),
        "the users survived: {users}"
    );
    let devices = server.cli_ok(&["device", "list", "alice"]);
    assert!(
        devices.contains("fixture-phone"),
        "alice's device survived: {devices}"
    );
    let messages = server.cli_ok(&["message", "list"]);
    assert!(
        messages.contains("alice@example.org"),
        "the queued welcome email survived: {messages}"
    );
    // HOTP counter 0 was used before the upgrade: still refused; the next one verifies.
    let reused = server.cli(&["verify", "alice", &hotp(RFC_SECRET, 0)]);
    assert!(
        stdout(&reused).contains("code_reused"),
        "the used code stays used: {}",
        stdout(&reused)
    );
    server.cli_ok(&["verify", "alice", &hotp(RFC_SECRET, 1)]);
    server.cli_ok(&["verify", "bob", &totp_now(RFC_SECRET)]);
    // And the server itself starts on it.
    server.spawn().await;
    let health = server.anonymous().get("/healthz").await;
    health.expect(200, "healthz on the upgraded database");
}

#[tokio::test]
async fn a_database_from_a_newer_release_is_refused() {
    let mut server = node_on_fixture();
    let db = server.data_dir().join("countersign.db");
    let python = countersign_testkit::python();
    let script = "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); \
        c.execute(\"INSERT INTO schema_migrations VALUES (9999, 'from the future', 0)\"); c.commit()";
    let done = std::process::Command::new(python)
        .args(["-c", script, &db.display().to_string()])
        .status()
        .expect("run python");
    assert!(done.success(), "mark the database as newer");
    for args in [vec!["migrate"], vec!["user", "list"]] {
        let refused = server.cli(&args);
        assert!(
            !refused.status.success(),
            "{args:?} must refuse a newer schema"
        );
        let words = stderr(&refused);
        assert!(
            words.contains("schema is newer than this countersign")
                && words.contains("9999")
                && words.contains("restore a backup"),
            "the refusal says what and what to do: {words}"
        );
    }
    let doctor = stdout(&server.cli(&["doctor"]));
    assert!(doctor.contains("FAIL  store.migrations"), "{doctor}");
    let _ = &mut server;
}
