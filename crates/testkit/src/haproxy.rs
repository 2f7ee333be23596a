//! HAProxy (Debian's `haproxy`) as the load balancer in front of several
//! Countersign nodes: its own configuration on free ports, run in the
//! foreground as the test's child (not the system service), stopped on drop.
//!
//! Nodes are checked on `GET /healthz` every 300 ms; a request that cannot
//! connect to its node is tried on another (`retry-on conn-failure`,
//! `option redispatch`), and every answer names its node in
//! `X-Countersign-Node`. A stats page (CSV) tells a node's state.

use std::path::Path;
use std::time::Duration;

use crate::{free_port, wait_until, Peer, TempDir};

const HAPROXY: &str = "/usr/sbin/haproxy";

pub struct Haproxy {
    _dir: TempDir,
    peer: Peer,
    port: u16,
    stats_port: u16,
}

impl Haproxy {
    /// Balances HTTP on a free port over `nodes` (name, port on 127.0.0.1).
    pub fn start(nodes: &[(&str, u16)]) -> Haproxy {
        let dir = TempDir::new("haproxy");
        let (port, stats_port) = (free_port(), free_port());
        let config = dir.join("haproxy.cfg");
        std::fs::write(&config, configuration(port, stats_port, nodes)).expect("write haproxy.cfg");
        let config = config.to_str().expect("a UTF-8 temp path").to_string();
        let peer = Peer::spawn(
            "haproxy",
            dir.join("haproxy.log"),
            Path::new(HAPROXY),
            &["-db", "-f", &config],
        );
        let proxy = Haproxy {
            _dir: dir,
            peer,
            port,
            stats_port,
        };
        let listening = wait_until(Duration::from_secs(20), || {
            std::net::TcpStream::connect(("127.0.0.1", proxy.port)).is_ok()
        });
        assert!(listening, "haproxy did not listen:\n{}", proxy.log());
        proxy
    }

    /// `http://127.0.0.1:PORT`, the address clients use.
    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.peer.log).unwrap_or_default()
    }

    /// The state HAProxy gives `node` now (`UP`, `DOWN`, `UP 1/2`, ...).
    pub async fn node_status(&self, node: &str) -> String {
        let url = format!("http://127.0.0.1:{}/stats;csv", self.stats_port);
        let Ok(reply) = reqwest::get(&url).await else {
            return String::new();
        };
        let text = reply.text().await.unwrap_or_default();
        // pxname,svname,...: the status is the 18th column.
        text.lines()
            .map(|line| line.split(',').collect::<Vec<_>>())
            .find(|cols| cols.len() > 17 && cols[0] == "nodes" && cols[1] == node)
            .map(|cols| cols[17].to_string())
            .unwrap_or_default()
    }
}

fn configuration(port: u16, stats_port: u16, nodes: &[(&str, u16)]) -> String {
    let servers: String = nodes
        .iter()
        .map(|(name, node_port)| format!("    server {name} 127.0.0.1:{node_port} check\n"))
        .collect();
    format!(
        "global
    maxconn 2000

defaults
    mode http
    timeout connect 1s
    timeout client 60s
    timeout server 60s
    timeout check 1s
    # A dead node: try the request again, on another node, only when it
    # never reached the dead one (a verification that did may have been
    # decided there: the client retries it and is told the code was used).
    retries 3
    option redispatch 1
    retry-on conn-failure

frontend api
    bind 127.0.0.1:{port}
    default_backend nodes

frontend stats
    bind 127.0.0.1:{stats_port}
    stats enable
    stats uri /stats

backend nodes
    balance roundrobin
    option httpchk GET /healthz
    http-check expect status 200
    default-server inter 300ms fall 2 rise 2
    http-response set-header X-Countersign-Node %[srv_name]
{servers}"
    )
}
