//! Once a request head is read, a client that trickles or stops its body,
//! or stops reading the answer, loses the connection at the body-read or
//! answer-write idle deadline (`http.body_idle_timeout_seconds`,
//! `http.write_idle_timeout_seconds`); both are counted in `/metrics`. An
//! answer the server is still computing has no such deadline.

mod common;

use std::time::{Duration, Instant};

use common::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

/// Idle deadlines far apart, so the one that closed a connection is known.
async fn limited() -> Server {
    Server::start_with(
        &Db::sqlite(),
        &[
            ("COUNTERSIGN_HTTP_HEADER_READ_TIMEOUT_SECONDS", "30"),
            ("COUNTERSIGN_HTTP_IDLE_TIMEOUT_SECONDS", "60"),
            ("COUNTERSIGN_HTTP_BODY_IDLE_TIMEOUT_SECONDS", "1"),
            ("COUNTERSIGN_HTTP_WRITE_IDLE_TIMEOUT_SECONDS", "1"),
        ],
    )
    .await
}

fn address(server: &Server) -> std::net::SocketAddr {
    let base = server.base();
    base.trim_start_matches("http://").parse().expect("address")
}

async fn closed_count(server: &Server, cause: &str) -> u64 {
    let text = server.anonymous().get("/metrics").await.text;
    let start = format!("countersign_http_connections_closed_total{{cause=\"{cause}\"}}");
    text.lines()
        .find_map(|l| l.strip_prefix(start.as_str()))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("{start} in /metrics:\n{text}"))
}

/// Reads and discards until the server closes; how long that took.
async fn time_to_close(stream: &mut TcpStream) -> Duration {
    let start = Instant::now();
    let mut sink = vec![0u8; 64 * 1024];
    let read = async {
        while let Ok(n) = stream.read(&mut sink).await {
            if n == 0 {
                return;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(20), read)
        .await
        .expect("the server closes the connection well before the 30 s header deadline");
    start.elapsed()
}

#[tokio::test]
async fn a_body_that_stops_coming_is_cut_at_the_body_deadline() {
    let server = limited().await;
    let mut slow = TcpStream::connect(address(&server)).await.expect("connect");
    // A form post whose body promises 100 bytes and sends 10: the console's
    // guard reads every POST body.
    slow.write_all(
        b"POST /admin/login HTTP/1.1\r\nhost: x\r\n\
          content-type: application/x-www-form-urlencoded\r\ncontent-length: 100\r\n\r\nusername=a",
    )
    .await
    .expect("send");
    let waited = time_to_close(&mut slow).await;
    assert!(waited < Duration::from_secs(15), "closed after {waited:?}");
    assert_eq!(closed_count(&server, "body_timeout").await, 1);
    assert_eq!(closed_count(&server, "header_timeout").await, 0);
}

#[tokio::test]
async fn a_client_that_stops_reading_is_cut_at_the_write_deadline() {
    let server = limited().await;
    // A small receive window, and 400 pipelined requests for the 48 KB
    // OpenAPI document: about 19 MB the client never reads, far more than
    // the kernel buffers on both sides hold.
    let socket = TcpSocket::new_v4().expect("socket");
    socket.set_recv_buffer_size(4096).expect("SO_RCVBUF");
    let mut stalled = socket.connect(address(&server)).await.expect("connect");
    let requests = "GET /api/v1/openapi.json HTTP/1.1\r\nhost: x\r\n\r\n".repeat(400);
    stalled.write_all(requests.as_bytes()).await.expect("send");
    let deadline = Instant::now() + Duration::from_secs(20);
    while closed_count(&server, "write_timeout").await == 0 {
        assert!(
            Instant::now() < deadline,
            "no write_timeout within 20 s of the client stopping to read"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // The connection is gone: what the client reads now ends.
    let waited = time_to_close(&mut stalled).await;
    assert!(waited < Duration::from_secs(20));

    // A well-behaved client on the same server is unaffected.
    let reply = server.anonymous().get("/api/v1/openapi.json").await;
    assert_eq!(reply.status, 200);
}
