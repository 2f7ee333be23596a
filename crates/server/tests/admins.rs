//! `countersign admin add|list|remove|reset`: console administrators in
//! the store, on SQLite and PostgreSQL; passwords shown once, never listed.

mod common;

use common::*;
use serde_json::Value;

#[tokio::test]
async fn admins_sqlite() {
    admins(Db::sqlite()).await;
}

#[tokio::test]
async fn admins_postgres() {
    admins(Db::postgres().await).await;
}

async fn admins(db: Db) {
    let node = Server::new(&db);
    // Without a password file the password is generated and printed once.
    let added = node.cli_json(&["admin", "add", "alice", "--role", "helpdesk"]);
    let generated = added["password"].as_str().expect("a generated password");
    assert_eq!(generated.len(), 24);
    assert_eq!(added["role"], "helpdesk");

    // With a file: the password is the file's (trailing newline ignored) and not printed.
    let file = node.data_dir().join("bob.password");
    std::fs::write(&file, "correct horse battery staple\n").expect("password file");
    let file = file.to_string_lossy().to_string();
    let bob = node.cli_json(&["admin", "add", "Bob", "--password-file", &file]);
    assert_eq!(bob["password"], Value::Null);
    assert_eq!(bob["role"], "admin");

    let list = node.cli_json(&["admin", "list"]);
    let names: Vec<_> = list
        .as_array()
        .expect("a list")
        .iter()
        .map(|a| (a["name"].clone(), a["role"].clone()))
        .collect();
    assert_eq!(names.len(), 2);
    let listed = list.to_string();
    assert!(!listed.contains(generated) && !listed.contains("argon2"));

    // Names are unique ignoring case; bad roles, short passwords and names are refused.
    let again = node.cli(&["admin", "add", "ALICE"]);
    assert_eq!(again.status.code(), Some(1));
    assert!(
        stderr(&again).contains("already exists"),
        "{}",
        stderr(&again)
    );
    let role = node.cli(&["admin", "add", "carol", "--role", "root"]);
    assert!(
        stderr(&role).contains("helpdesk or auditor"),
        "{}",
        stderr(&role)
    );
    let short = node.data_dir().join("short");
    std::fs::write(&short, "short").expect("short file");
    let weak = node.cli(&[
        "admin",
        "add",
        "carol",
        "--password-file",
        &short.to_string_lossy(),
    ]);
    assert!(stderr(&weak).contains("at least 12"), "{}", stderr(&weak));
    let name = node.cli(&["admin", "add", "carol smith"]);
    assert!(
        stderr(&name).contains("letters, digits"),
        "{}",
        stderr(&name)
    );

    // Reset makes a new password; remove takes the admin away.
    let reset = node.cli_json(&["admin", "reset", "alice"]);
    let fresh = reset["password"].as_str().expect("a new password");
    assert_ne!(fresh, generated);
    node.cli_ok(&["admin", "remove", "bob"]);
    let gone = node.cli(&["admin", "remove", "bob"]);
    assert!(stderr(&gone).contains("not found"), "{}", stderr(&gone));
    assert_eq!(
        node.cli_json(&["admin", "list"]).as_array().map(Vec::len),
        Some(1)
    );
}
