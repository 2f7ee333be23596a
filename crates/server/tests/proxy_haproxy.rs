//! Behind a real reverse proxy: HAProxy (Debian's) with `option forwardfor`
//! appends the address it saw to X-Forwarded-For and passes a client's own
//! `Forwarded` header on untouched. With `http.forwarded_header =
//! "x-forwarded-for"` (the default) the audit trail records the address
//! HAProxy saw, never the one the client forged.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::*;
use countersign_testkit::{free_port, Peer, TempDir};
use serde_json::json;

const HAPROXY: &str = "/usr/sbin/haproxy";

/// HAProxy on 127.0.0.1:`port` in front of `backend` (host:port).
fn haproxy(dir: &Path, port: u16, backend: &str) -> Peer {
    assert!(
        Path::new(HAPROXY).exists(),
        "{HAPROXY} is missing: scripts/test installs haproxy (or apt-get install haproxy)"
    );
    let config = format!(
        "global\n  log stdout format raw local0\n\
         defaults\n  mode http\n  timeout connect 5s\n  timeout client 30s\n  timeout server 30s\n\
         frontend front\n  bind 127.0.0.1:{port}\n  option forwardfor\n  default_backend countersign\n\
         backend countersign\n  server node {backend}\n"
    );
    let file = dir.join("haproxy.cfg");
    std::fs::write(&file, config).expect("write haproxy.cfg");
    let args = ["-db", "-f", file.to_str().expect("a UTF-8 path")];
    Peer::spawn(
        "HAProxy",
        dir.join("haproxy.log"),
        Path::new(HAPROXY),
        &args,
    )
}

#[tokio::test]
async fn a_forged_forwarded_header_through_haproxy_is_audited_as_haproxy_saw_it() {
    let server = Server::start_with(
        &Db::sqlite(),
        &[
            ("COUNTERSIGN_HTTP_BEHIND_PROXY", "true"),
            // HAProxy connects from 127.0.0.1; the client comes from 127.0.0.5.
            ("COUNTERSIGN_HTTP_TRUSTED_PROXIES", "127.0.0.1"),
        ],
    )
    .await;
    let key = server.create_key("proxy", "verify,admin");
    let api = server.api(&key);
    api.post("/api/v1/users", json!({"username": "alice"}))
        .await
        .expect(201, "create alice");
    api.post(
        "/api/v1/users/alice/tokens",
        json!({"type": "hotp", "secret": RFC_SECRET_B32}),
    )
    .await
    .expect(201, "add alice's HOTP token");

    let dir = TempDir::new("haproxy");
    let port = free_port();
    let backend = server.base().trim_start_matches("http://").to_string();
    let _proxy = haproxy(dir.path(), port, &backend);
    let client = reqwest::Client::builder()
        .local_address("127.0.0.5".parse::<std::net::IpAddr>().ok())
        .build()
        .expect("a client");
    let url = format!("http://127.0.0.1:{port}/api/v1/verify");
    let deadline = Instant::now() + Duration::from_secs(10);
    let reply = loop {
        let sent = client
            .post(&url)
            .bearer_auth(&key)
            .header("Forwarded", "for=203.0.113.9")
            .json(&json!({"username": "alice", "code": hotp(RFC_SECRET, 0)}))
            .send()
            .await;
        match sent {
            Ok(reply) => break reply,
            Err(_) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(100)).await
            }
            Err(e) => panic!("HAProxy does not answer on {port}: {e}"),
        }
    };
    assert_eq!(reply.status(), 200, "{:?}", reply.text().await);
    let audit = api.get("/api/v1/audit?limit=1").await;
    let record = &audit.expect(200, "GET /api/v1/audit")["records"][0];
    assert_eq!(record["username"], "alice", "{record}");
    assert_eq!(
        record["source_address"], "127.0.0.5",
        "the address HAProxy put in X-Forwarded-For, not the forged Forwarded: {record}"
    );
}
