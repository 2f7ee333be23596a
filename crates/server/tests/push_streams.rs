//! Device event streams as the server serves them: a stream opened by a
//! connection's first request (served on the bare connection) and one
//! opened later on a kept-alive connection (served by hyper and axum) get
//! the same events; a refused stream gets the API's error and a closed
//! connection; a stopping server ends its streams.

mod common;
mod device;

use std::time::Duration;

use common::*;
use device::Device;
use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

const PATH: &str = "/device/v1/events";

async fn enrolled(server: &Server) -> (Api, Device) {
    let admin = server.api(&server.create_key("admin", "verify,admin"));
    admin
        .post("/api/v1/users", json!({"username": "bob"}))
        .await
        .expect(201, "create bob");
    let grant = admin.post("/api/v1/users/bob/activations", json!({})).await;
    let code = grant.expect(201, "activation")["activation_code"]
        .as_str()
        .expect("code")
        .replace(' ', "");
    let device = Device::activate(&server.base(), &code, None).await;
    (admin, device)
}

fn stream_request(server: &Server, device: &Device, nonce: &str) -> String {
    let headers = device.headers("GET", PATH, b"", unix_now() as i64, nonce);
    let mut request = format!(
        "GET {PATH} HTTP/1.1\r\nhost: {}\r\naccept: text/event-stream\r\n",
        server.base().trim_start_matches("http://")
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request + "\r\n"
}

async fn connect(server: &Server) -> BufReader<TcpStream> {
    let address = server.base().trim_start_matches("http://").to_string();
    BufReader::new(TcpStream::connect(address).await.expect("connect"))
}

/// The response head, lower-cased, up to the empty line.
async fn head(stream: &mut BufReader<TcpStream>) -> String {
    let mut head = String::new();
    loop {
        let mut line = String::new();
        let n = stream.read_line(&mut line).await.expect("read head");
        if n == 0 || line == "\r\n" {
            return head.to_ascii_lowercase();
        }
        head.push_str(&line);
    }
}

/// The `event:` and `data:` lines of the next request event.
async fn next_request(stream: &mut BufReader<TcpStream>) -> (String, String) {
    let read = async {
        let mut event = String::new();
        loop {
            let mut line = String::new();
            if stream.read_line(&mut line).await.expect("read") == 0 {
                panic!("the event stream closed");
            }
            if line.starts_with("event:") {
                event = line.trim().to_string();
            } else if let Some(data) = line.trim().strip_prefix("data: ") {
                return (event, data.to_string());
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(10), read)
        .await
        .expect("an event within 10 s")
}

async fn push(api: &Api) -> String {
    let reply = api
        .post(
            "/api/v1/verify",
            json!({"username": "bob", "method": "push"}),
        )
        .await;
    reply.expect(200, "push")["transaction_id"]
        .as_str()
        .expect("id")
        .to_string()
}

#[tokio::test]
async fn streams_on_fresh_and_kept_alive_connections_get_the_same_events() {
    let db = Db::sqlite();
    let server = Server::start(&db).await;
    let (api, device) = enrolled(&server).await;

    let mut fresh = connect(&server).await;
    let request = stream_request(&server, &device, &device::fresh_nonce());
    fresh.write_all(request.as_bytes()).await.expect("send");
    let fresh_head = head(&mut fresh).await;

    // A first request on the connection, then the stream on the same one.
    let mut kept = connect(&server).await;
    let host = server.base().trim_start_matches("http://").to_string();
    let probe = format!("GET /healthz HTTP/1.1\r\nhost: {host}\r\n\r\n");
    kept.write_all(probe.as_bytes()).await.expect("send");
    let probe_head = head(&mut kept).await;
    assert!(probe_head.starts_with("http/1.1 200"), "{probe_head}");
    let length: usize = probe_head
        .lines()
        .find_map(|l| l.strip_prefix("content-length: "))
        .and_then(|l| l.trim().parse().ok())
        .expect("content-length");
    let mut body = vec![0u8; length];
    kept.read_exact(&mut body).await.expect("healthz body");
    let request = stream_request(&server, &device, &device::fresh_nonce());
    kept.write_all(request.as_bytes()).await.expect("send");
    let kept_head = head(&mut kept).await;

    for head in [&fresh_head, &kept_head] {
        assert!(head.starts_with("http/1.1 200"), "{head}");
        assert!(head.contains("content-type: text/event-stream"), "{head}");
        assert!(head.contains("cache-control: no-cache"), "{head}");
        assert!(head.contains("transfer-encoding: chunked"), "{head}");
    }
    let id = push(&api).await;
    for stream in [&mut fresh, &mut kept] {
        let (event, data) = next_request(stream).await;
        assert_eq!(event, "event: request");
        let data: serde_json::Value = serde_json::from_str(&data).expect("json");
        assert_eq!(data["id"], id.as_str());
        assert_eq!(data["user"], "bob");
    }
}

#[tokio::test]
async fn a_refused_stream_gets_the_api_error_and_a_closed_connection() {
    let db = Db::sqlite();
    let server = Server::start(&db).await;
    let (_api, device) = enrolled(&server).await;
    let nonce = device::fresh_nonce();
    let request = stream_request(&server, &device, &nonce);

    let mut first = connect(&server).await;
    first.write_all(request.as_bytes()).await.expect("send");
    assert!(head(&mut first).await.starts_with("http/1.1 200"));

    // The same signed request again: the nonce is spent.
    let mut again = connect(&server).await;
    again.write_all(request.as_bytes()).await.expect("send");
    let mut reply = String::new();
    tokio::time::timeout(Duration::from_secs(10), again.read_to_string(&mut reply))
        .await
        .expect("answered and closed within 10 s")
        .expect("read");
    let (head, body) = reply.split_once("\r\n\r\n").expect("head and body");
    let head = head.to_ascii_lowercase();
    assert!(head.starts_with("http/1.1 401"), "{head}");
    assert!(head.contains("content-type: application/json"), "{head}");
    assert!(head.contains("connection: close"), "{head}");
    let body: serde_json::Value = serde_json::from_str(body).expect("json error");
    assert_eq!(body["error"]["code"], "nonce_reused", "{body}");

    // Unsigned: the same error as every other device call.
    let mut unsigned = connect(&server).await;
    let bare = format!("GET {PATH} HTTP/1.1\r\nhost: x\r\n\r\n");
    unsigned.write_all(bare.as_bytes()).await.expect("send");
    let mut reply = String::new();
    unsigned.read_to_string(&mut reply).await.expect("read");
    assert!(reply.starts_with("HTTP/1.1 401"), "{reply}");
    assert!(reply.contains("signature_missing"), "{reply}");
}

#[tokio::test]
async fn a_stopping_server_ends_its_streams() {
    let db = Db::sqlite();
    let mut server = Server::start(&db).await;
    let (_api, device) = enrolled(&server).await;
    let mut stream = connect(&server).await;
    let request = stream_request(&server, &device, &device::fresh_nonce());
    stream.write_all(request.as_bytes()).await.expect("send");
    assert!(head(&mut stream).await.starts_with("http/1.1 200"));

    let stopping = tokio::task::spawn_blocking(move || server.stop());
    let mut rest = String::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_string(&mut rest))
        .await
        .expect("the stream ends within 10 s of SIGTERM")
        .expect("read");
    assert!(
        rest.ends_with("0\r\n\r\n"),
        "a complete chunked body: {rest:?}"
    );
    let status = stopping.await.expect("join");
    assert!(status.success(), "graceful exit: {status:?}");
}
