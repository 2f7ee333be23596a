//! The set-up of the fault tests: a PostgreSQL server of the test's own,
//! two Countersign nodes on it with their RADIUS listeners, HAProxy in
//! front of their HTTP, users with HOTP tokens for the load, and a device
//! enrolled for pushes.
#![allow(dead_code)]

pub mod load;
pub mod stream;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use countersign_testkit::haproxy::Haproxy;
use countersign_testkit::{free_udp_port, PgServer, TempDir};
use serde_json::{json, Value};

use crate::common::{Api, Db, Server, RFC_SECRET_B32};
use crate::device::Device;
use crate::radius_peers::{secret_file, RadiusNode};

pub const NODE_NAMES: [&str; 2] = ["a", "b"];
const RADIUS_SECRET: &str = "fault-test-radius-secret";
/// Replays and lost answers must not lock the load's users out; the test
/// pushes more than the default 3 a minute.
const SETTINGS: &[(&str, &str)] = &[
    ("COUNTERSIGN_VERIFY_LOCKOUT_THRESHOLD", "1000"),
    ("COUNTERSIGN_PUSH_PER_MINUTE", "60"),
];
/// The user whose phone gets the pushes.
pub const PUSH_USER: &str = "pat";

pub struct Cluster {
    pub nodes: Vec<RadiusNode>,
    pub haproxy: Haproxy,
    /// An admin key (every node takes it: keys live in the database).
    pub key: String,
    pub db: Db,
    pub pg: PgServer,
    _secrets: TempDir,
}

impl Cluster {
    pub async fn start() -> Cluster {
        let pg = tokio::task::spawn_blocking(PgServer::start)
            .await
            .expect("start PostgreSQL");
        let db = Db::at(pg.url());
        let secrets = TempDir::new("fault-radius");
        let secret = secret_file(secrets.path(), "nas.secret", RADIUS_SECRET);
        let client: &[&str] = &[
            "--name",
            "nas",
            "--address",
            "127.0.0.1/32",
            "--secret-file",
            &secret,
        ];
        // The first node migrates the database and adds the NAS for both.
        let first = RadiusNode::start_with(&db, SETTINGS, &[client]).await;
        let second = second_node(&db, &first).await;
        let nodes = vec![first, second];
        let backends: Vec<(&str, u16)> = NODE_NAMES
            .iter()
            .zip(&nodes)
            .map(|(name, node)| (*name, node.server.port()))
            .collect();
        let haproxy = Haproxy::start(&backends);
        let key = nodes[0].server.create_key("faults", "verify,admin");
        let cluster = Cluster {
            nodes,
            haproxy,
            key,
            db,
            pg,
            _secrets: secrets,
        };
        for name in NODE_NAMES {
            cluster.wait_balanced(name, "UP").await;
        }
        cluster
    }

    /// The admin API through the load balancer.
    pub fn api(&self) -> Api {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("an HTTP client");
        Api::new(http, self.haproxy.base(), Some(self.key.clone()))
    }

    pub fn node(&mut self, name: &str) -> &mut RadiusNode {
        let index = NODE_NAMES
            .iter()
            .position(|n| *n == name)
            .unwrap_or_else(|| panic!("no node {name}"));
        &mut self.nodes[index]
    }

    /// Creates `username` with an HOTP token on the RFC 4226 secret.
    pub async fn user_with_hotp(&self, username: &str) {
        let api = self.api();
        api.post("/api/v1/users", json!({ "username": username }))
            .await
            .expect(201, &format!("create {username}"));
        api.post(
            &format!("/api/v1/users/{username}/tokens"),
            json!({"type": "hotp", "secret": RFC_SECRET_B32}),
        )
        .await
        .expect(201, &format!("add a token to {username}"));
    }

    /// The push user with a device activated through the load balancer.
    pub async fn push_device(&self) -> Device {
        let api = self.api();
        api.post("/api/v1/users", json!({ "username": PUSH_USER }))
            .await
            .expect(201, "create the push user");
        Device::enrol(&api, &self.haproxy.base(), PUSH_USER).await
    }

    /// Waits until HAProxy reports `node` in `state` (its checks of `/healthz`).
    pub async fn wait_balanced(&self, node: &str, state: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let now = self.haproxy.node_status(node).await;
            if now == state {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "HAProxy still says node {node} is '{now}', not {state}:\n{}",
                self.haproxy.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The audit records of `username` (fewer than the API's page of 1,000).
    pub async fn audit(&self, username: &str) -> Vec<Value> {
        let reply = self
            .api()
            .get(&format!("/api/v1/audit?username={username}&limit=1000"))
            .await;
        let records = reply.expect(200, "GET /api/v1/audit")["records"]
            .as_array()
            .expect("records")
            .clone();
        assert!(
            records.len() < 1000,
            "{username} has 1,000 audit records or more: slow the load down so that one page holds them"
        );
        records
    }

    /// Every node's log, for a failure message.
    pub fn logs(&self) -> String {
        NODE_NAMES
            .iter()
            .zip(&self.nodes)
            .map(|(name, node)| format!("--- node {name} ---\n{}\n", node.server.stderr()))
            .collect()
    }
}

/// Another node on `db` with its RADIUS listener, sharing `first`'s NAS
/// and API key (both live in the database).
async fn second_node(db: &Db, first: &RadiusNode) -> RadiusNode {
    let port = free_udp_port();
    let listen = format!("127.0.0.1:{port}");
    let mut env = vec![("COUNTERSIGN_RADIUS_LISTEN", listen.as_str())];
    env.extend_from_slice(SETTINGS);
    let mut server = Server::with_env(db, &env);
    server.spawn().await;
    RadiusNode {
        server,
        port,
        api: first.api.clone(),
    }
}

/// The load: its workers, their stop flag, what they tallied, and a count
/// of verdicts so far (to wait for progress instead of sleeping).
pub struct Load {
    stop: Arc<AtomicBool>,
    pub verdicts: Arc<AtomicU64>,
    tallies: load::Tallies,
    workers: Vec<tokio::task::JoinHandle<()>>,
}

impl Load {
    /// `api_users` verify through HAProxy, `radius_users` over RADIUS to both nodes.
    pub fn start(cluster: &Cluster, api_users: &[&str], radius_users: &[&str]) -> Load {
        let stop = Arc::new(AtomicBool::new(false));
        let verdicts = Arc::new(AtomicU64::new(0));
        let tallies: load::Tallies = Arc::new(Mutex::new(Vec::new()));
        let mut workers = Vec::new();
        for user in api_users {
            workers.push(tokio::spawn(load::api_worker(
                cluster.haproxy.base(),
                cluster.key.clone(),
                user.to_string(),
                load::Shared::new(&stop, &verdicts, &tallies),
            )));
        }
        let ports: Vec<u16> = cluster.nodes.iter().map(|n| n.port).collect();
        for (i, user) in radius_users.iter().enumerate() {
            // Each NAS starts on another node.
            let mut order = ports.clone();
            order.rotate_left(i % ports.len());
            workers.push(tokio::spawn(load::radius_worker(
                order,
                RADIUS_SECRET.to_string(),
                user.to_string(),
                load::Shared::new(&stop, &verdicts, &tallies),
            )));
        }
        Load {
            stop,
            verdicts,
            tallies,
            workers,
        }
    }

    /// Waits until the load has had `more` verdicts more than now.
    pub async fn progress(&self, more: u64, what: &str) {
        let target = self.verdicts.load(Ordering::Relaxed) + more;
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.verdicts.load(Ordering::Relaxed) < target {
            assert!(
                Instant::now() < deadline,
                "the load made no progress {what} ({} verdicts, waiting for {target})",
                self.verdicts.load(Ordering::Relaxed)
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Stops the workers (each finishes its code) and returns their tallies.
    pub async fn finish(self) -> Vec<(String, load::Tally)> {
        self.stop.store(true, Ordering::Relaxed);
        for worker in self.workers {
            worker.await.expect("a load worker finished");
        }
        let tallies = self.tallies.lock().expect("tallies").clone();
        tallies
    }
}
