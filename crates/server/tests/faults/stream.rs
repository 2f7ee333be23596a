//! A device waiting for pushes on `GET /device/v1/events` through the load
//! balancer, as the authenticator does: when its stream ends it opens a new
//! one (on whichever node the balancer picks) and keeps reading.

use std::time::Duration;

use serde_json::Value;
use tokio::sync::mpsc;

use crate::device::{fresh_nonce, Device};

const PATH: &str = "/device/v1/events";

/// What the device's reader reports.
#[derive(Debug)]
pub enum Seen {
    /// A stream is open, served by this node (`X-Countersign-Node`).
    Open(String),
    /// A sign-in request event: its data.
    Request(Value),
    /// The stream ended or could not be opened: why.
    Closed(String),
}

/// Reads the device's streams at `base` for ever (until the task is
/// aborted), reconnecting after each end, and reports what it sees.
pub fn spawn(
    device: Device,
    base: String,
) -> (mpsc::UnboundedReceiver<Seen>, tokio::task::JoinHandle<()>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let task = tokio::spawn(async move {
        let http = reqwest::Client::new();
        loop {
            let why = read_one(&http, &device, &base, &tx).await;
            if tx.send(Seen::Closed(why)).is_err() {
                return;
            }
            // The authenticator's back-off before it opens a new stream.
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    });
    (rx, task)
}

/// One stream, until it ends; returns why it ended.
async fn read_one(
    http: &reqwest::Client,
    device: &Device,
    base: &str,
    tx: &mpsc::UnboundedSender<Seen>,
) -> String {
    let headers = device.headers(
        "GET",
        PATH,
        b"",
        crate::common::unix_now() as i64,
        &fresh_nonce(),
    );
    let mut request = http
        .get(format!("{base}{PATH}"))
        .header("accept", "text/event-stream");
    for (name, value) in headers {
        request = request.header(name, value);
    }
    let mut reply = match request.send().await {
        Ok(reply) => reply,
        Err(e) => return format!("cannot open: {e}"),
    };
    if reply.status() != 200 {
        return format!("refused: {}", reply.status());
    }
    let node = reply
        .headers()
        .get("x-countersign-node")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let _ = tx.send(Seen::Open(node));
    let mut buffer = String::new();
    loop {
        match reply.chunk().await {
            Ok(Some(bytes)) => buffer.push_str(&String::from_utf8_lossy(&bytes)),
            Ok(None) => return "the stream ended".to_string(),
            Err(e) => return format!("the stream broke: {e}"),
        }
        // Whole events only: they end with an empty line.
        while let Some(end) = buffer.find("\n\n") {
            let event: String = buffer.drain(..end + 2).collect();
            if let Some(data) = request_data(&event) {
                let _ = tx.send(Seen::Request(data));
            }
        }
    }
}

/// The data of a `request` event (keep-alive comments and others give None).
fn request_data(event: &str) -> Option<Value> {
    let mut is_request = false;
    let mut data = None;
    for line in event.lines() {
        if line.trim() == "event: request" {
            is_request = true;
        } else if let Some(rest) = line.strip_prefix("data:") {
            data = serde_json::from_str(rest.trim()).ok();
        }
    }
    data.filter(|_| is_request)
}
