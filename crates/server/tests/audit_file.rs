//! `[audit.file]`: every record as a JSON line appended to a file, rotated
//! by size, and the doctor's view of the stream.

mod common;

use std::time::Duration;

use common::{Db, Server};
use countersign_testkit::{wait_until, TempDir};
use serde_json::{json, Value};

fn lines(path: &std::path::Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_are_appended_as_json_lines_and_rotated() {
    let dir = TempDir::new("audit-file");
    let path = dir.path().join("audit.jsonl");
    let shown = path.display().to_string();
    let server = Server::start_with(
        &Db::sqlite(),
        &[
            ("COUNTERSIGN_AUDIT_FILE_PATH", &shown),
            ("COUNTERSIGN_AUDIT_FILE_MAX_MB", "1"),
        ],
    )
    .await;
    let api = server.api(&server.create_key("ops", "admin,verify"));
    // Long names: about 1.7 KiB a line, so 1000 records pass 1 MiB.
    let long = "x".repeat(1500);
    for i in 0..1000 {
        let reply = api
            .post(
                "/api/v1/verify",
                json!({"username": format!("{long}{i}"), "code": "123456"}),
            )
            .await;
        assert_eq!(reply.status, 404);
    }
    let rotated = dir.path().join("audit.jsonl.1");
    // Oldest first: audit.jsonl.5 ... audit.jsonl.1, then audit.jsonl.
    let all = || {
        let mut records = Vec::new();
        for n in (1..=5).rev() {
            records.extend(lines(&dir.path().join(format!("audit.jsonl.{n}"))));
        }
        records.extend(lines(&path));
        records
    };
    assert!(
        wait_until(Duration::from_secs(20), || all().len() == 1000),
        "{} lines; server log:\n{}",
        all().len(),
        server.stderr()
    );
    assert!(rotated.exists(), "rotated past 1 MiB");
    assert!(std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0) <= 1024 * 1024);
    let seqs: Vec<i64> = all().iter().filter_map(|r| r["seq"].as_i64()).collect();
    assert_eq!(
        seqs,
        (1..=1000).collect::<Vec<i64>>(),
        "every record once, in order"
    );
    let first = &all()[0];
    assert_eq!(first["reason"], "unknown_user");
    assert_eq!(first["result"], "rejected");
    // The doctor reads the stream's standing from the store.
    assert!(wait_until(Duration::from_secs(5), || {
        let doctor = server.cli_json(&["doctor"]);
        doctor
            .as_array()
            .and_then(|f| f.iter().find(|f| f["check"] == "audit.stream.file"))
            .is_some_and(|f| {
                f["status"] == "pass"
                    && f["message"]
                        .as_str()
                        .unwrap_or("")
                        .contains("up to seq 1000")
            })
    }));
}
