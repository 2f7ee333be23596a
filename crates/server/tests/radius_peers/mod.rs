//! Real RADIUS peers for the RADIUS tests: `radclient` (freeradius-utils)
//! as the NAS, FreeRADIUS started in a temporary directory on a free port
//! (as the upstream first factor, or as a proxy in front of Countersign), a
//! NAS written with the countersign-radius crate for what radclient cannot
//! do (a fixed identifier and authenticator, a chosen source address, raw
//! bytes), a Countersign node with its RADIUS listener on, and its RADIUS
//! metrics. The FreeRADIUS recipes are those of the peers cookbook, §2.
//!
//! Each test file uses part of it, so unused items are expected.
#![allow(dead_code, unused_imports)]

mod corpus;
mod freeradius;
mod nas;
mod radclient;

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::common::{Api, Db, Server};

pub use countersign_testkit::free_udp_port;

pub use corpus::malformed_corpus;
pub use freeradius::FreeRadius;
pub use nas::{reply_message, Nas};
pub use radclient::{radclient, radclient_with, Radclient};

/// How long a test waits for something that should happen at once (a
/// counter, a log line): generous for a loaded 2-core machine, and only
/// reached when the test fails.
pub const PATIENCE: Duration = Duration::from_secs(10);

/// A Countersign node with its RADIUS listener on 127.0.0.1:`port`, an
/// admin API key, and the clients added with the CLI before it started.
pub struct RadiusNode {
    pub server: Server,
    pub port: u16,
    pub api: Api,
}

impl RadiusNode {
    /// `clients`: the arguments of `countersign radius client add`, one list per client.
    pub async fn start(db: &Db, clients: &[&[&str]]) -> RadiusNode {
        Self::start_with(db, &[], clients).await
    }

    /// Like [`RadiusNode::start`], with extra `COUNTERSIGN_*` settings.
    pub async fn start_with(db: &Db, env: &[(&str, &str)], clients: &[&[&str]]) -> RadiusNode {
        let port = free_udp_port();
        let listen = format!("127.0.0.1:{port}");
        let mut all_env = vec![("COUNTERSIGN_RADIUS_LISTEN", listen.as_str())];
        all_env.extend_from_slice(env);
        let mut server = Server::with_env(db, &all_env);
        for args in clients {
            let mut all = vec!["radius", "client", "add"];
            all.extend_from_slice(args);
            server.cli_ok(&all);
        }
        let key = server.create_key("radius-tests", "verify,admin");
        server.spawn().await;
        let api = server.api(&key);
        RadiusNode { server, port, api }
    }

    /// Creates `username` with a token of `kind` ("totp" or "hotp") on the
    /// RFC 4226 test secret.
    pub async fn user_with_token(&self, username: &str, kind: &str) {
        self.api
            .post("/api/v1/users", json!({ "username": username }))
            .await
            .expect(201, &format!("create {username}"));
        self.api
            .post(
                &format!("/api/v1/users/{username}/tokens"),
                json!({"type": kind, "secret": crate::common::RFC_SECRET_B32}),
            )
            .await
            .expect(201, &format!("add a {kind} token to {username}"));
    }

    /// The audit records of `username`, newest first.
    pub async fn audit(&self, username: &str) -> Vec<Value> {
        let reply = self
            .api
            .get(&format!("/api/v1/audit?username={username}"))
            .await;
        reply.expect(200, "GET /api/v1/audit")["records"]
            .as_array()
            .expect("records")
            .clone()
    }

    /// The value of one series of `/metrics`, e.g.
    /// `countersign_radius_dropped_total{cause="malformed"}` (0 when absent).
    pub async fn metric(&self, series: &str) -> u64 {
        let text = self.server.anonymous().get("/metrics").await.text;
        metric_value(&text, series)
    }

    /// Polls the server's log until it mentions `needle`; returns how often it does.
    pub async fn wait_log(&self, needle: &str) -> usize {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let log = self.server.stderr();
            let count = log.matches(needle).count();
            if count > 0 {
                return count;
            }
            assert!(
                Instant::now() < deadline,
                "the log never mentions '{needle}':\n{log}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Polls `/metrics` until `series` reaches `wanted`; panics with the
    /// RADIUS metrics if it does not within [`PATIENCE`].
    pub async fn wait_metric(&self, series: &str, wanted: u64) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let text = self.server.anonymous().get("/metrics").await.text;
            if metric_value(&text, series) >= wanted {
                return;
            }
            if Instant::now() > deadline {
                let radius: Vec<&str> = text
                    .lines()
                    .filter(|l| l.starts_with("countersign_radius"))
                    .collect();
                panic!(
                    "{series} did not reach {wanted} within {PATIENCE:?}; RADIUS metrics:\n{}",
                    radius.join("\n")
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// The audit record with this result (and reason), or a panic.
pub fn audit_record<'a>(audit: &'a [Value], result: &str, reason: Option<&str>) -> &'a Value {
    audit
        .iter()
        .find(|r| r["result"] == result && reason.is_none_or(|reason| r["reason"] == reason))
        .unwrap_or_else(|| panic!("no {result} {reason:?} record in {audit:#?}"))
}

/// `series value` in a Prometheus text page; 0 when the series is absent.
pub fn metric_value(text: &str, series: &str) -> u64 {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .map(|value| {
            value
                .trim()
                .parse::<f64>()
                .unwrap_or_else(|_| panic!("{series} is not a number: {value}")) as u64
        })
        .unwrap_or(0)
}

/// A file in `dir` holding `secret` (for the `--*-secret-file` options).
pub fn secret_file(dir: &std::path::Path, name: &str, secret: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, format!("{secret}\n")).expect("write a secret file");
    path.to_str().expect("a UTF-8 temp path").to_string()
}
