//! Faults on two nodes (issue 24, point 6): two Countersign nodes on one
//! PostgreSQL server of the test's own, HAProxy in front of their HTTP, under
//! mixed load (API verifications through HAProxy, RADIUS to both nodes with
//! NAS failover, a device waiting for pushes on its event stream).
//!
//! 1. kill -9 the node that serves the device's stream: every code still
//!    gets a verdict (a retry lands on the other node), the device opens a
//!    new stream and the next push reaches it; the node comes back.
//! 2. PostgreSQL stops and starts again under the load: meanwhile both
//!    nodes say not ready on `/healthz` and answer verifications at once
//!    with a clear error; afterwards they serve again by themselves, and
//!    the next push reaches the device.
//!
//! Throughout: no code is accepted twice, and every verdict has its audit
//! record (the audit of each user agrees with what its client saw).

mod common;
mod device;
mod faults;
mod radius_peers;

use std::time::{Duration, Instant};

use faults::stream::{self, Seen};
use faults::{Cluster, Load, PUSH_USER};
use serde_json::{json, Value};
use tokio::sync::mpsc::UnboundedReceiver;

const API_USERS: [&str; 3] = ["api1", "api2", "api3"];
const RADIUS_USERS: [&str; 2] = ["nas1", "nas2"];
/// How long a node may take to answer while the database is away.
const ERROR_WITHIN: Duration = Duration::from_secs(5);
/// How long nodes may take to serve again once the database is back.
const RECOVERY: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_nodes_survive_a_killed_node_and_a_postgres_restart_under_load() {
    let mut cluster = Cluster::start().await;
    for user in API_USERS.iter().chain(&RADIUS_USERS) {
        cluster.user_with_hotp(user).await;
    }
    let device = cluster.push_device().await;
    let (mut seen, reader) = stream::spawn(device, cluster.haproxy.base());
    let streaming = opened(&mut seen).await;
    push_reaches_device(&cluster, &mut seen).await;

    let load = Load::start(&cluster, &API_USERS, &RADIUS_USERS);
    load.progress(30, "before the faults").await;

    let streaming = kill_a_node(&mut cluster, &load, &streaming, &mut seen).await;
    restart_postgres(&cluster, &load, &streaming, &mut seen).await;

    let tallies = load.finish().await;
    reader.abort();
    for (user, tally) in &tallies {
        audit_agrees(&cluster, user, tally).await;
    }
    for (user, t) in &tallies {
        let slowest = t
            .errors
            .iter()
            .map(|(_, took)| *took)
            .max()
            .unwrap_or_default();
        eprintln!(
            "two nodes: {user}: {} verdicts, {} accepted, {} accepted unseen (answer lost), {} tries without a verdict (slowest {slowest:?})",
            t.answered, t.accepted, t.ambiguous, t.lost
        );
    }
}

/// Phase 1: kill -9 the node holding the device's stream, under load;
/// returns the node that holds it now.
async fn kill_a_node(
    cluster: &mut Cluster,
    load: &Load,
    victim: &str,
    seen: &mut UnboundedReceiver<Seen>,
) -> String {
    cluster.node(victim).server.crash();
    let survivor = if victim == "a" { "b" } else { "a" };
    let reopened = opened(seen).await;
    assert_eq!(
        reopened, survivor,
        "the device's new stream is served by the node that lives"
    );
    push_reaches_device(cluster, seen).await;
    load.progress(30, "with one node dead").await;
    cluster.wait_balanced(victim, "DOWN").await;

    // The node comes back where HAProxy expects it.
    cluster.node(victim).server.respawn().await;
    cluster.wait_balanced(victim, "UP").await;
    load.progress(30, "with the node back").await;
    survivor.to_string()
}

/// Phase 2: PostgreSQL stops, then starts again, under load. A push made
/// on the other node as soon as the database is back reaches the device,
/// although its node may not have heard the other node's NOTIFY.
async fn restart_postgres(
    cluster: &Cluster,
    load: &Load,
    streaming: &str,
    seen: &mut UnboundedReceiver<Seen>,
) {
    let pg = &cluster.pg;
    tokio::task::block_in_place(|| pg.stop());
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("an HTTP client");
    for node in &cluster.nodes {
        let base = node.server.base();
        let health = answer_within(http.get(format!("{base}/healthz"))).await;
        assert!(
            health.0 == 503
                && health.1["status"] == "degraded"
                && health.1["database_status"] != "ok",
            "/healthz of {base} says not ready while the database is down: {health:?}"
        );
        let verify = http
            .post(format!("{base}/api/v1/verify"))
            .bearer_auth(&cluster.key)
            .json(&json!({"username": "api1", "code": "000000"}));
        let verify = answer_within(verify).await;
        assert!(
            verify.0 == 503 && verify.1["error"]["message"].as_str().is_some_and(|m| m.contains("database")),
            "a verification while the database is down gets a clear error from {base}: {verify:?}\n{}",
            cluster.logs()
        );
    }
    tokio::task::block_in_place(|| pg.start_again());
    let back = Instant::now();
    let other = if streaming == "a" { "b" } else { "a" };
    let first_push = push_as_soon_as_possible(cluster, other).await;
    for node in &cluster.nodes {
        let url = node.server.url("/healthz");
        let ready = countersign_testkit::wait_until_async(
            RECOVERY,
            async || matches!(http.get(&url).send().await, Ok(r) if r.status() == 200),
        )
        .await;
        assert!(
            ready,
            "{url} is ready again within {RECOVERY:?} of the database's return\n{}",
            cluster.logs()
        );
    }
    eprintln!(
        "two nodes: both ready {:?} after PostgreSQL started again",
        back.elapsed()
    );
    load.progress(30, "after the database came back").await;
    loop {
        match next(
            seen,
            Duration::from_secs(15),
            "the push made as the database came back",
        )
        .await
        {
            Seen::Request(data) if data["id"] == first_push.as_str() => break,
            _ => {}
        }
    }
    push_reaches_device(cluster, seen).await;
}

/// A push for the device made on node `name` directly, tried until the
/// node has a database connection again; its transaction id.
async fn push_as_soon_as_possible(cluster: &Cluster, name: &str) -> String {
    let node = &cluster.nodes[faults::NODE_NAMES
        .iter()
        .position(|n| *n == name)
        .expect("a node")];
    let api = node.server.api(&cluster.key);
    let deadline = Instant::now() + RECOVERY;
    loop {
        let reply = api
            .post(
                "/api/v1/verify",
                json!({"username": PUSH_USER, "method": "push"}),
            )
            .await;
        if reply.status == 200 {
            return reply.body["transaction_id"]
                .as_str()
                .unwrap_or_else(|| panic!("a push from node {name}: {}", reply.text))
                .to_string();
        }
        assert!(
            Instant::now() < deadline,
            "node {name} could not push within {RECOVERY:?} of the database's return: {} {}",
            reply.status,
            reply.text
        );
    }
}

/// Sends `request`; the answer (status and JSON body) must come within [`ERROR_WITHIN`].
async fn answer_within(request: reqwest::RequestBuilder) -> (u16, Value) {
    let started = Instant::now();
    let reply = request.send().await.expect("the node answers");
    let status = reply.status().as_u16();
    let body = reply.json().await.unwrap_or_default();
    assert!(
        started.elapsed() < ERROR_WITHIN,
        "the answer ({status} {body}) took {:?}: a client must not hang while the database is away",
        started.elapsed()
    );
    (status, body)
}

/// The node (HAProxy's name) serving the next stream the device opens.
async fn opened(seen: &mut UnboundedReceiver<Seen>) -> String {
    loop {
        match next(seen, Duration::from_secs(20), "a stream to open").await {
            Seen::Open(node) => return node,
            Seen::Closed(_) | Seen::Request(_) => {}
        }
    }
}

/// A push through HAProxy: its request event reaches the device.
async fn push_reaches_device(cluster: &Cluster, seen: &mut UnboundedReceiver<Seen>) {
    let reply = cluster
        .api()
        .post(
            "/api/v1/verify",
            json!({"username": PUSH_USER, "method": "push"}),
        )
        .await;
    let id = reply.expect(200, "a push")["transaction_id"]
        .as_str()
        .expect("transaction_id")
        .to_string();
    loop {
        match next(
            seen,
            Duration::from_secs(15),
            "the push to reach the device",
        )
        .await
        {
            Seen::Request(data) if data["id"] == id.as_str() => return,
            _ => {}
        }
    }
}

async fn next(seen: &mut UnboundedReceiver<Seen>, wait: Duration, what: &str) -> Seen {
    tokio::time::timeout(wait, seen.recv())
        .await
        .unwrap_or_else(|_| panic!("waited {wait:?} for {what}"))
        .expect("the device's reader runs")
}

/// The user's audit agrees with what its client saw: every verdict has its
/// record, and each accepted code exactly one accepted record.
async fn audit_agrees(cluster: &Cluster, user: &str, tally: &faults::load::Tally) {
    assert!(
        tally.wrong.is_empty(),
        "{user}: {:#?}\nerrors seen: {:#?}\n{}",
        tally.wrong,
        tally.errors,
        cluster.logs()
    );
    let records = cluster.audit(user).await;
    let accepted = records.iter().filter(|r| r["result"] == "accepted").count() as u64;
    let total = records.len() as u64;
    assert!(
        (tally.answered..=tally.answered + tally.lost).contains(&total),
        "{user}: {total} audit records for {} verdicts and {} tries without one",
        tally.answered,
        tally.lost
    );
    // A code rejected after a lost try was accepted by that try (a fresh
    // code is rejected for nothing else): so every accepted code has
    // exactly one accepted record, and a code accepted twice shows.
    assert_eq!(
        accepted,
        tally.accepted + tally.ambiguous,
        "{user}: accepted records against codes accepted ({}) and codes accepted by a try whose answer was lost ({})",
        tally.accepted,
        tally.ambiguous
    );
}
