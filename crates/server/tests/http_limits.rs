//! The HTTP listener's limits against slow and greedy clients, on the real
//! binary with short limits: a half-sent request head is cut at the header
//! deadline (first request and later ones), an idle kept-alive connection
//! at the idle deadline, the connection over the per-address cap gets 503,
//! and device event streams outlive the idle deadline.

mod common;
mod device;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::*;
use device::Device;
use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpSocket, TcpStream};

const HEADER: &str = "1";
const IDLE: &str = "3";

async fn limited(extra: &[(&str, &str)]) -> (Db, Server) {
    let db = Db::sqlite();
    let mut env = vec![
        ("COUNTERSIGN_HTTP_HEADER_READ_TIMEOUT_SECONDS", HEADER),
        ("COUNTERSIGN_HTTP_IDLE_TIMEOUT_SECONDS", IDLE),
    ];
    env.extend_from_slice(extra);
    let server = Server::start_with(&db, &env).await;
    (db, server)
}

fn address(server: &Server) -> SocketAddr {
    server
        .base()
        .trim_start_matches("http://")
        .parse()
        .expect("address")
}

async fn connect(server: &Server) -> TcpStream {
    TcpStream::connect(address(server)).await.expect("connect")
}

/// A connection from another loopback address, so the harness's own
/// pooled connections do not count against that address's cap.
async fn connect_from(server: &Server, from: &str) -> TcpStream {
    let socket = TcpSocket::new_v4().expect("socket");
    socket
        .bind(format!("{from}:0").parse().expect("from"))
        .expect("bind");
    socket.connect(address(server)).await.expect("connect")
}

/// How long until the server closes `stream` (reading and discarding).
async fn time_to_close(stream: &mut TcpStream, within: Duration) -> Duration {
    let start = Instant::now();
    let mut sink = [0u8; 4096];
    let read = async {
        loop {
            match stream.read(&mut sink).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    };
    tokio::time::timeout(within, read)
        .await
        .expect("the server closes the connection");
    start.elapsed()
}

/// Sends a full request and reads its whole answer, keeping the connection.
async fn healthz(stream: &mut BufReader<TcpStream>) {
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .expect("send");
    let mut length = 0usize;
    let mut status = String::new();
    stream.read_line(&mut status).await.expect("status");
    assert!(status.starts_with("HTTP/1.1 200"), "{status}");
    loop {
        let mut line = String::new();
        stream.read_line(&mut line).await.expect("head");
        if line == "\r\n" || line.is_empty() {
            break;
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length: ") {
            length = v.trim().parse().expect("length");
        }
    }
    let mut body = vec![0u8; length];
    stream.read_exact(&mut body).await.expect("body");
}

async fn metric(server: &Server, line_start: &str) -> u64 {
    let text = server.anonymous().get("/metrics").await.text;
    text.lines()
        .find_map(|l| l.strip_prefix(line_start))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("{line_start} in /metrics:\n{text}"))
}

#[tokio::test]
async fn a_half_sent_request_head_is_cut_at_the_header_deadline() {
    let (_db, server) = limited(&[]).await;
    // The first request of a connection.
    let mut slow = connect(&server).await;
    slow.write_all(b"GET /heal").await.expect("send");
    let waited = time_to_close(&mut slow, Duration::from_secs(10)).await;
    assert!(
        waited >= Duration::from_millis(800) && waited < Duration::from_millis(2900),
        "closed after {waited:?}, header deadline 1 s"
    );

    // A later request on a kept-alive connection: the header deadline, not the idle one.
    let mut kept = BufReader::new(connect(&server).await);
    healthz(&mut kept).await;
    kept.write_all(b"GET /healthz HTTP/1.1\r\nho")
        .await
        .expect("send");
    let waited = time_to_close(kept.get_mut(), Duration::from_secs(10)).await;
    assert!(
        waited < Duration::from_millis(2900),
        "closed after {waited:?}, before the 3 s idle deadline"
    );
    let closed = metric(
        &server,
        "countersign_http_connections_closed_total{cause=\"header_timeout\"}",
    )
    .await;
    assert!(closed >= 2, "header timeouts counted: {closed}");
}

#[tokio::test]
async fn an_idle_kept_alive_connection_is_closed_at_the_idle_deadline() {
    let (_db, server) = limited(&[]).await;
    let mut kept = BufReader::new(connect(&server).await);
    healthz(&mut kept).await;
    // Within the idle deadline the connection serves another request.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    healthz(&mut kept).await;
    let waited = time_to_close(kept.get_mut(), Duration::from_secs(10)).await;
    assert!(
        waited >= Duration::from_millis(2700) && waited < Duration::from_secs(6),
        "closed after {waited:?}, idle deadline 3 s"
    );
    let closed = metric(
        &server,
        "countersign_http_connections_closed_total{cause=\"idle_timeout\"}",
    )
    .await;
    assert!(closed >= 1, "idle timeouts counted: {closed}");
}

#[tokio::test]
async fn the_connection_over_the_per_address_cap_gets_503() {
    let db = Db::sqlite();
    let env = [("COUNTERSIGN_HTTP_MAX_CONNECTIONS_PER_ADDRESS", "3")];
    let server = Server::start_with(&db, &env).await;
    let mut open = Vec::new();
    for _ in 0..3 {
        let mut stream = BufReader::new(connect_from(&server, "127.0.0.2").await);
        healthz(&mut stream).await;
        open.push(stream);
    }
    let mut over = connect_from(&server, "127.0.0.2").await;
    over.write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .expect("send");
    let mut answer = String::new();
    tokio::time::timeout(Duration::from_secs(10), over.read_to_string(&mut answer))
        .await
        .expect("answered and closed")
        .expect("read");
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.contains("too_many_connections"), "{answer}");
    assert!(
        answer.contains("http.max_connections_per_address"),
        "{answer}"
    );

    // Another address has its own places; a freed place is taken again.
    let mut other = BufReader::new(connect_from(&server, "127.0.0.3").await);
    healthz(&mut other).await;
    drop(open.pop());
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut again = BufReader::new(connect_from(&server, "127.0.0.2").await);
    healthz(&mut again).await;
    let refused = metric(
        &server,
        "countersign_http_connections_refused_total{cause=\"per_address_limit\"}",
    )
    .await;
    assert_eq!(refused, 1);
}

fn stream_request(device: &Device) -> String {
    let path = "/device/v1/events";
    let headers = device.headers("GET", path, b"", unix_now() as i64, &device::fresh_nonce());
    let mut request = format!("GET {path} HTTP/1.1\r\nhost: x\r\naccept: text/event-stream\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request + "\r\n"
}

async fn next_request_id(stream: &mut BufReader<TcpStream>) -> String {
    let read = async {
        loop {
            let mut line = String::new();
            if stream.read_line(&mut line).await.expect("read") == 0 {
                panic!("the event stream was closed");
            }
            if let Some(data) = line.trim().strip_prefix("data: ") {
                let data: serde_json::Value = serde_json::from_str(data).expect("json");
                return data["id"].as_str().unwrap_or_default().to_string();
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(10), read)
        .await
        .expect("an event within 10 s")
}

#[tokio::test]
async fn event_streams_outlive_the_idle_deadline() {
    let (_db, server) = limited(&[]).await;
    let admin = server.api(&server.create_key("admin", "verify,admin"));
    admin
        .post("/api/v1/users", json!({"username": "bob"}))
        .await
        .expect(201, "create bob");
    let device = Device::enrol(&admin, &server.base(), "bob").await;

    // A stream as a connection's first request, and one after another request.
    let mut fresh = BufReader::new(connect(&server).await);
    fresh
        .write_all(stream_request(&device).as_bytes())
        .await
        .expect("send");
    let mut kept = BufReader::new(connect(&server).await);
    healthz(&mut kept).await;
    kept.write_all(stream_request(&device).as_bytes())
        .await
        .expect("send");

    // Twice the idle deadline, then an event reaches both.
    tokio::time::sleep(Duration::from_secs(6)).await;
    let reply = admin
        .post(
            "/api/v1/verify",
            json!({"username": "bob", "method": "push"}),
        )
        .await;
    let id = reply.expect(200, "push")["transaction_id"]
        .as_str()
        .expect("id")
        .to_string();
    for stream in [&mut fresh, &mut kept] {
        assert_eq!(next_request_id(stream).await, id);
    }
}
