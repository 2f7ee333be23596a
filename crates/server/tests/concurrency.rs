//! A code is accepted at most once, even when 50 requests carry it at the
//! same moment: on SQLite, on PostgreSQL, with two server processes sharing
//! one PostgreSQL database, and with three that started together on it.

mod common;

use std::sync::Arc;

use common::*;
use serde_json::json;
use tokio::sync::Barrier;

const REQUESTS: usize = 50;
/// 49 replays must not lock the user out while the race is measured.
const NO_LOCKOUT: &[(&str, &str)] = &[("COUNTERSIGN_VERIFY_LOCKOUT_THRESHOLD", "1000")];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn same_code_50_times_sqlite() {
    let db = Db::sqlite();
    let server = Server::start_with(&db, NO_LOCKOUT).await;
    race(&[&server]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn same_code_50_times_postgres() {
    let db = Db::postgres().await;
    let server = Server::start_with(&db, NO_LOCKOUT).await;
    race(&[&server]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn same_code_50_times_two_nodes_on_one_postgres() {
    let db = Db::postgres().await;
    let first = Server::start_with(&db, NO_LOCKOUT).await;
    let second = Server::start_with(&db, NO_LOCKOUT).await;
    race(&[&first, &second]).await;
}

/// Nodes of one deployment start at the same moment (a cluster coming up,
/// a rolling deploy) on a database nobody has migrated yet.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn same_code_50_times_three_nodes_started_together_on_a_fresh_postgres() {
    let db = Db::postgres().await;
    let nodes = Server::start_together(&db, 3, NO_LOCKOUT).await;
    race(&nodes.iter().collect::<Vec<_>>()).await;
}

/// One race is a sample of the scheduling: a broken compare-and-set can
/// still let exactly one through by luck, so every test runs a few races.
const ROUNDS: [&str; 6] = ["totp", "hotp", "totp", "hotp", "totp", "hotp"];

/// Races the same valid code REQUESTS times at once, spread over `nodes`,
/// once per round, each round on a fresh user and token.
async fn race(nodes: &[&Server]) {
    let key = nodes[0].create_key("race", "verify,admin");
    let admin = nodes[0].api(&key);
    for (round, kind) in ROUNDS.iter().enumerate() {
        let username = format!("dave{round}");
        let user = admin
            .post("/api/v1/users", json!({"username": username}))
            .await;
        user.expect(201, "create a user");
        let path = format!("/api/v1/users/{username}/tokens");
        let token = admin
            .post(&path, json!({"type": kind, "secret": RFC_SECRET_B32}))
            .await;
        token.expect(201, "add the user's token");
        let code = match *kind {
            "totp" => totp_now(RFC_SECRET),
            _ => hotp(RFC_SECRET, 0),
        };
        let apis: Vec<Api> = nodes.iter().map(|node| node.api(&key)).collect();
        let accepted = one_race(&apis, &username, &code).await;
        assert_eq!(
            accepted.iter().sum::<usize>(),
            1,
            "round {round} ({kind}): exactly one request wins; per node: {accepted:?}"
        );
        audit_agrees(&admin, &username).await;
    }
}

/// Accepted answers per node; every other answer must be `code_reused`.
async fn one_race(apis: &[Api], username: &str, code: &str) -> Vec<usize> {
    let barrier = Arc::new(Barrier::new(REQUESTS));
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..REQUESTS {
        let (node, api, barrier) = (
            i % apis.len(),
            apis[i % apis.len()].clone(),
            barrier.clone(),
        );
        let body = json!({"username": username, "code": code});
        tasks.spawn(async move {
            // Open this task's connection first, so the verifications start together.
            api.get("/healthz").await.expect(200, "healthz");
            let request = api
                .request(reqwest::Method::POST, "/api/v1/verify")
                .json(&body);
            barrier.wait().await;
            (node, api.send(request).await)
        });
    }
    let mut accepted = vec![0; apis.len()];
    while let Some(joined) = tasks.join_next().await {
        let (node, reply) = joined.expect("the request task finished");
        let body = reply.expect(200, "a concurrent verify");
        match (body["result"].as_str(), body["reason"].as_str()) {
            (Some("accepted"), None) => accepted[node] += 1,
            (Some("rejected"), Some("code_reused")) => {}
            _ => panic!("unexpected answer to a concurrent verify: {body}"),
        }
    }
    accepted
}

async fn audit_agrees(admin: &Api, username: &str) {
    let audit = admin
        .get(&format!("/api/v1/audit?username={username}&limit=1000"))
        .await;
    let records = audit.expect(200, "audit")["records"]
        .as_array()
        .expect("records")
        .clone();
    assert_eq!(records.len(), REQUESTS, "one audit record per request");
    let accepted = records.iter().filter(|r| r["result"] == "accepted").count();
    let reused = records
        .iter()
        .filter(|r| r["reason"] == "code_reused")
        .count();
    assert_eq!((accepted, reused), (1, REQUESTS - 1), "the audit agrees");
}
