//! Reading the audit trail out: paging with `after` while records arrive
//! (each seen once), the export (CSV with formula defusing, JSON lines),
//! `countersign audit list|export`, and the doctor's `audit.table`.

mod common;

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use common::{Api, Db, Server};
use serde_json::{json, Value};

const RECORDS: u64 = 25_000;

async fn refused(api: &Api, username: &str) {
    let reply = api
        .post(
            "/api/v1/verify",
            json!({"username": username, "code": "123456"}),
        )
        .await;
    assert_eq!(reply.status, 404, "{:?}", reply.body);
}

/// Writers make `RECORDS` records between them.
fn writers(api: &Api, done: Arc<AtomicBool>) -> Vec<tokio::task::JoinHandle<()>> {
    let next = Arc::new(AtomicU64::new(0));
    let left = Arc::new(AtomicU64::new(4));
    (0..4)
        .map(|_| {
            let (api, next, done, left) = (api.clone(), next.clone(), done.clone(), left.clone());
            tokio::spawn(async move {
                loop {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    if n >= RECORDS {
                        break;
                    }
                    refused(&api, &format!("=user-{n}")).await;
                }
                if left.fetch_sub(1, Ordering::Relaxed) == 1 {
                    done.store(true, Ordering::Relaxed);
                }
            })
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_paging_with_after_sees_every_record_once_while_they_arrive_sqlite() {
    paging(Db::sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_paging_with_after_sees_every_record_once_while_they_arrive_postgres() {
    paging(Db::postgres().await).await;
}

async fn paging(db: Db) {
    let server = Server::start(&db).await;
    let api = server.api(&server.create_key("ops", "admin,verify"));
    let done = Arc::new(AtomicBool::new(false));
    let tasks = writers(&api, done.clone());
    let mut seen: Vec<i64> = Vec::new();
    let mut after = 0;
    let mut pages = 0;
    loop {
        // Read the flag before the page: a page read after the writers
        // finished and coming back short is the end.
        let finished = done.load(Ordering::Relaxed);
        let reply = api
            .get(&format!("/api/v1/audit?after={after}&limit=500"))
            .await;
        let page = reply.expect(200, "a page");
        let records = page["records"].as_array().cloned().unwrap_or_default();
        pages += 1;
        let seqs: Vec<i64> = records.iter().filter_map(|r| r["seq"].as_i64()).collect();
        assert!(seqs.windows(2).all(|w| w[0] < w[1]), "oldest first");
        seen.extend(&seqs);
        after = page["next"]
            .as_i64()
            .expect("next is always given with after");
        if finished && records.len() < 500 {
            break;
        }
    }
    for t in tasks {
        t.await.expect("writer");
    }
    let unique: BTreeSet<i64> = seen.iter().copied().collect();
    assert_eq!(unique.len(), seen.len(), "no record seen twice");
    assert_eq!(seen.len() as u64, RECORDS, "every record seen");
    assert!(
        pages > 10,
        "the reader paged while the writers wrote ({pages} pages)"
    );
    // Newest first with before walks the same records back.
    let newest = api.get("/api/v1/audit?limit=1000").await;
    let newest = newest.expect(200, "newest first");
    assert_eq!(newest["records"][0]["seq"].as_i64(), unique.last().copied());
    let before = newest["next"].as_i64().expect("a full page has next");
    let older = api
        .get(&format!("/api/v1/audit?before={before}&limit=1"))
        .await;
    assert_eq!(
        older.expect(200, "older")["records"][0]["seq"].as_i64(),
        Some(before - 1)
    );
    exports(&server, &api, RECORDS).await;
}

/// The export endpoint and the CLI give every record, oldest first.
async fn exports(server: &Server, api: &Api, count: u64) {
    let csv = api.get("/api/v1/audit/export?format=csv").await;
    assert_eq!(csv.status, 200);
    assert!(csv.content_type.starts_with("text/csv"));
    let mut lines = csv.text.lines();
    assert_eq!(
        lines.next(),
        Some("seq,time,username,result,reason,method,client,address,token,id")
    );
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len() as u64, count);
    // Usernames starting with = are defused for spreadsheets.
    assert!(rows[0].contains(",'=user-"), "{}", rows[0]);
    let jsonl = api
        .get("/api/v1/audit/export?format=jsonl&username==user-7")
        .await;
    assert_eq!(jsonl.content_type, "application/x-ndjson");
    let one: Vec<Value> = jsonl
        .text
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(one.len(), 1);
    assert_eq!(one[0]["username"], "=user-7");
    let bad = api.get("/api/v1/audit/export?format=xml").await;
    bad.expect_error(400, "bad_query", "an unknown format");

    let file = server.data_dir().join("export.jsonl");
    let path = file.display().to_string();
    server.cli_ok(&["audit", "export", "--format", "jsonl", "--output", &path]);
    let text = std::fs::read_to_string(&file).expect("the export file");
    let seqs: Vec<i64> = text
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).expect("json")["seq"]
                .as_i64()
                .unwrap_or(-1)
        })
        .collect();
    assert_eq!(seqs.len() as u64, count);
    assert!(seqs.windows(2).all(|w| w[0] < w[1]));
    let listed = server.cli_json(&["audit", "list", "--username", "=user-7"]);
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed}");
    let doctor = server.cli_json(&["doctor"]);
    let table = doctor
        .as_array()
        .and_then(|f| f.iter().find(|f| f["check"] == "audit.table"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(table["status"], "pass", "{doctor}");
    assert!(
        table["message"]
            .as_str()
            .unwrap_or("")
            .starts_with(&format!("{count} records")),
        "{table}"
    );
}
