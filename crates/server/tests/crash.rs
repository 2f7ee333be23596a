//! Durability across a crash: the server is killed with SIGKILL while
//! verifications are in flight and restarted on the same data. Every code
//! that was answered `accepted` must then be refused as `code_reused` (its
//! compare-and-set was committed before the answer), and every answered
//! request must have its audit record. Requests cut off by the kill may
//! have been committed or not; both are fine, as nobody was told.

mod common;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use common::*;
use serde_json::{json, Value};

/// Users, one valid code each (a wrong code first for every fifth).
const USERS: usize = 240;
const IN_FLIGHT: usize = 24;
/// The kill comes after this many answers, with about IN_FLIGHT still out.
const KILL_AFTER: usize = 100;
const NO_LOCKOUT: &[(&str, &str)] = &[("COUNTERSIGN_VERIFY_LOCKOUT_THRESHOLD", "1000")];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_under_load_loses_no_answered_decision_sqlite() {
    crash_under_load(Db::sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_under_load_loses_no_answered_decision_postgres() {
    crash_under_load(Db::postgres().await).await;
}

/// What a request was told: `accepted`, or the reason of a rejection.
type Answers = Arc<Mutex<HashMap<(usize, &'static str), String>>>;

async fn crash_under_load(db: Db) {
    let mut server = Server::with_env(&db, NO_LOCKOUT);
    server.spawn().await;
    let key = server.create_key("crash", "verify,admin");
    let admin = server.api(&key);
    for i in 0..USERS {
        enrol(&admin, i).await;
    }
    let answers: Answers = Arc::default();
    let sent = drive_and_crash(&mut server, &key, answers.clone()).await;
    server.spawn().await;
    let admin = server.api(&key);
    let answers = answers.lock().expect("answers").clone();
    assert!(
        answers.len() >= KILL_AFTER && sent > answers.len(),
        "the kill came mid-load: {} answered of {sent} sent",
        answers.len()
    );
    let mut accepted = 0;
    for ((i, kind), answer) in &answers {
        let records = audit(&admin, *i).await;
        let wanted = if answer == "accepted" {
            accepted += 1;
            replay_is_refused(&admin, *i).await;
            json!({"result": "accepted", "reason": null})
        } else {
            json!({"result": "rejected", "reason": answer})
        };
        assert!(
            records
                .iter()
                .any(|r| r["result"] == wanted["result"] && r["reason"] == wanted["reason"]),
            "user {i} ({kind}) was answered {answer} but the audit trail lost it: {records:?}"
        );
    }
    assert!(
        accepted > KILL_AFTER / 2,
        "most answers were acceptances: {accepted}"
    );
}

fn username(i: usize) -> String {
    format!("crash{i}")
}

async fn enrol(admin: &Api, i: usize) {
    let user = admin
        .post("/api/v1/users", json!({"username": username(i)}))
        .await;
    user.expect(201, "create a user");
    let path = format!("/api/v1/users/{}/tokens", username(i));
    let token = admin
        .post(&path, json!({"type": "hotp", "secret": RFC_SECRET_B32}))
        .await;
    token.expect(201, "add the user's token");
}

/// Sends every user's requests from IN_FLIGHT workers, kills the server
/// after KILL_AFTER answers, and returns how many requests were sent.
async fn drive_and_crash(server: &mut Server, key: &str, answers: Answers) -> usize {
    let next = Arc::new(Mutex::new(0usize));
    let sent = Arc::new(AtomicUsize::new(0));
    let (killed, mut kill) = tokio::sync::mpsc::channel::<()>(1);
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..IN_FLIGHT {
        let (api, next, sent, answers, killed) = (
            server.api(key),
            next.clone(),
            sent.clone(),
            answers.clone(),
            killed.clone(),
        );
        workers.spawn(async move {
            loop {
                let i = {
                    let mut n = next.lock().expect("queue");
                    *n += 1;
                    *n - 1
                };
                if i >= USERS {
                    return;
                }
                let mut requests = vec![("valid", hotp(RFC_SECRET, 0))];
                if i % 5 == 0 {
                    requests.insert(0, ("wrong", wrong_code(RFC_SECRET, i as u32)));
                }
                for (kind, code) in requests {
                    sent.fetch_add(1, Ordering::SeqCst);
                    let Some(answer) = verify(&api, i, &code).await else {
                        return; // the server is gone
                    };
                    let mut all = answers.lock().expect("answers");
                    all.insert((i, kind), answer);
                    if all.len() == KILL_AFTER {
                        let _ = killed.try_send(());
                    }
                }
            }
        });
    }
    drop(killed);
    if kill.recv().await.is_some() {
        server.crash();
    }
    while workers.join_next().await.is_some() {}
    sent.load(Ordering::SeqCst)
}

/// The answer (`accepted` or the reason), or None when the connection broke.
async fn verify(api: &Api, i: usize, code: &str) -> Option<String> {
    let body = json!({"username": username(i), "code": code});
    let request = api
        .request(reqwest::Method::POST, "/api/v1/verify")
        .json(&body);
    let response = request.send().await.ok()?;
    let status = response.status().as_u16();
    let reply: Value = response.json().await.ok()?;
    assert_eq!(status, 200, "verify answers 200: {reply}");
    match (reply["result"].as_str(), reply["reason"].as_str()) {
        (Some("accepted"), None) => Some("accepted".into()),
        (Some("rejected"), Some(reason)) => Some(reason.to_string()),
        _ => panic!("unexpected verify answer: {reply}"),
    }
}

async fn replay_is_refused(admin: &Api, i: usize) {
    let again = admin.verify(&username(i), &hotp(RFC_SECRET, 0)).await;
    assert_eq!(
        (again["result"].as_str(), again["reason"].as_str()),
        (Some("rejected"), Some("code_reused")),
        "user {i}'s code was accepted before the crash and must not be accepted again: {again}"
    );
}

async fn audit(admin: &Api, i: usize) -> Vec<Value> {
    let reply = admin
        .get(&format!(
            "/api/v1/audit?username={}&limit=1000",
            username(i)
        ))
        .await;
    reply.expect(200, "audit")["records"]
        .as_array()
        .expect("records")
        .clone()
}
