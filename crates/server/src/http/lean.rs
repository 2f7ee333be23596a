//! The lean path for device event streams. A connection's first request
//! head is read here; when it opens `GET /device/v1/events`, the stream is
//! served on the bare connection: an idle stream then holds a task, its
//! socket and its hub slot (a few KiB) instead of a hyper connection with
//! its 8 KiB read and 8 KiB write buffers. Any other request, and any head
//! that is not plainly such a request, goes to hyper with the bytes read.

use std::time::{Duration, SystemTime};

use axum::http::{HeaderMap, HeaderName, HeaderValue};
use axum::response::IntoResponse;
use countersign_web::{open_events, AppState};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::watch;

/// The longest first request head read here; a larger one goes to hyper.
const MAX_HEAD: usize = 16 * 1024;
/// A device that takes longer than this to take an event is dropped.
const WRITE_TIMEOUT: Duration = Duration::from_secs(30);
const MAX_HEADERS: usize = 64;
const EVENTS_PATH: &str = "/device/v1/events";

/// The first request of a connection.
pub enum First {
    /// A stream to serve here: the path and query it signed, its headers.
    Events(String, HeaderMap),
    /// Anything else: the bytes read so far, for hyper.
    Other(Vec<u8>),
    /// The client closed or sent nothing in time.
    Gone,
}

/// Reads until the first request head is complete (or is clearly not an
/// event stream's); the client has until `deadline` (http.header_read_timeout_seconds).
pub async fn first_request<I: AsyncRead + Unpin>(
    io: &mut I,
    deadline: tokio::time::Instant,
) -> First {
    let mut head = Vec::with_capacity(1024);
    let read = tokio::time::timeout_at(deadline, async {
        loop {
            if head.len() == head.capacity() {
                head.reserve(head.len());
            }
            match io.read_buf(&mut head).await {
                Ok(0) | Err(_) if head.is_empty() => return None,
                Ok(0) | Err(_) => return Some(First::Other(std::mem::take(&mut head))),
                Ok(_) => {}
            }
            match classify(&head) {
                Some(First::Other(_)) => return Some(First::Other(std::mem::take(&mut head))),
                Some(first) => return Some(first),
                None if head.len() >= MAX_HEAD => {
                    return Some(First::Other(std::mem::take(&mut head)))
                }
                None => {}
            }
        }
    })
    .await;
    read.ok().flatten().unwrap_or(First::Gone)
}

/// `None` while the head is incomplete; `Other` (with no bytes: the caller
/// has them) for anything but a plain signed stream request.
fn classify(head: &[u8]) -> Option<First> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut request = httparse::Request::new(&mut headers);
    let length = match request.parse(head) {
        Ok(httparse::Status::Complete(length)) => length,
        Ok(httparse::Status::Partial) => return None,
        Err(_) => return Some(First::Other(Vec::new())),
    };
    let plain = length == head.len()
        && request.method == Some("GET")
        && request.version == Some(1)
        && request.path.is_some_and(|p| {
            p == EVENTS_PATH
                || p.strip_prefix(EVENTS_PATH)
                    .is_some_and(|q| q.starts_with('?'))
        });
    if !plain {
        return Some(First::Other(Vec::new()));
    }
    let mut map = HeaderMap::with_capacity(request.headers.len());
    for h in request.headers.iter() {
        let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(h.name.as_bytes()),
            HeaderValue::from_bytes(h.value),
        ) else {
            return Some(First::Other(Vec::new()));
        };
        map.append(name, value);
    }
    // A body, an upgrade or an expectation: hyper knows what to do.
    let has_body = map.contains_key("transfer-encoding")
        || map
            .get("content-length")
            .is_some_and(|v| v.as_bytes() != b"0");
    // A browser's request (the web app) needs the CORS headers the router adds.
    if has_body
        || map.contains_key("upgrade")
        || map.contains_key("expect")
        || map.contains_key("origin")
    {
        return Some(First::Other(Vec::new()));
    }
    let path = request.path.unwrap_or(EVENTS_PATH).to_string();
    Some(First::Events(path, map))
}

/// Serves one event stream on the bare connection until the device goes,
/// the hub ends the stream or the server stops.
pub async fn serve_events<I>(
    mut io: I,
    state: &AppState,
    path: String,
    headers: HeaderMap,
    mut stop: watch::Receiver<bool>,
) where
    I: AsyncRead + AsyncWrite + Unpin,
{
    // Boxed: the opening's futures do not stay in the stream's task.
    let opened = Box::pin(open_events(state, &path, &headers)).await;
    drop((path, headers));
    let mut requests = match opened {
        Ok(requests) => requests,
        Err(e) => return refuse(io, e).await,
    };
    let head = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\n\
         transfer-encoding: chunked\r\ndate: {}\r\n\r\n",
        httpdate::fmt_http_date(SystemTime::now())
    );
    if !write(&mut io, head.as_bytes()).await {
        return;
    }
    let mut scratch = [0u8; 32];
    loop {
        tokio::select! {
            frame = requests.next_frame() => {
                let Some(frame) = frame else { break };
                let text = frame.to_sse();
                let chunk = format!("{:x}\r\n{text}\r\n", text.len());
                if !write(&mut io, chunk.as_bytes()).await {
                    return;
                }
            }
            // The device closed, or sent more: a stream is a connection's last answer.
            _ = io.read(&mut scratch) => return,
            () = super::stopped(&mut stop) => break,
        }
    }
    drop(requests);
    if write(&mut io, b"0\r\n\r\n").await {
        let _ = io.shutdown().await;
    }
}

async fn write<I: AsyncWrite + Unpin>(io: &mut I, bytes: &[u8]) -> bool {
    matches!(
        tokio::time::timeout(WRITE_TIMEOUT, io.write_all(bytes)).await,
        Ok(Ok(()))
    )
}

/// The API's error answer, as hyper would have written it; then closes.
async fn refuse<I: AsyncWrite + Unpin>(mut io: I, error: countersign_web::ApiError) {
    let (parts, body) = error.into_response().into_parts();
    let body = axum::body::to_bytes(body, 64 * 1024)
        .await
        .unwrap_or_default();
    let mut text = format!(
        "HTTP/1.1 {} {}\r\n",
        parts.status.as_u16(),
        parts.status.canonical_reason().unwrap_or("")
    );
    for (name, value) in parts.headers.iter() {
        if let Ok(value) = value.to_str() {
            text.push_str(&format!("{name}: {value}\r\n"));
        }
    }
    text.push_str(&format!(
        "content-length: {}\r\nconnection: close\r\ndate: {}\r\n\r\n",
        body.len(),
        httpdate::fmt_http_date(SystemTime::now())
    ));
    let mut bytes = text.into_bytes();
    bytes.extend_from_slice(&body);
    if write(&mut io, &bytes).await {
        let _ = io.shutdown().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(head: &str) -> &'static str {
        match classify(head.as_bytes()) {
            None => "partial",
            Some(First::Events(..)) => "events",
            Some(First::Other(_)) => "other",
            Some(First::Gone) => "gone",
        }
    }

    #[test]
    fn only_plain_stream_requests_take_the_lean_path() {
        let signed = "x-countersign-device: dev_a\r\nhost: h\r\n\r\n";
        assert_eq!(
            kind(&format!("GET /device/v1/events HTTP/1.1\r\n{signed}")),
            "events"
        );
        assert_eq!(
            kind(&format!("GET /device/v1/events?x=1 HTTP/1.1\r\n{signed}")),
            "events"
        );
        assert_eq!(
            kind("GET /device/v1/events HTTP/1.1\r\nhost: h\r\n"),
            "partial"
        );
        assert_eq!(
            kind(&format!("GET /device/v1/eventsX HTTP/1.1\r\n{signed}")),
            "other"
        );
        assert_eq!(
            kind(&format!("POST /device/v1/events HTTP/1.1\r\n{signed}")),
            "other"
        );
        assert_eq!(
            kind(&format!("GET /device/v1/events HTTP/1.0\r\n{signed}")),
            "other"
        );
        assert_eq!(kind(&format!("GET /healthz HTTP/1.1\r\n{signed}")), "other");
        assert_eq!(
            kind("GET /device/v1/events HTTP/1.1\r\ncontent-length: 4\r\n\r\n"),
            "other"
        );
        assert_eq!(
            kind("GET /device/v1/events HTTP/1.1\r\nupgrade: h2c\r\n\r\n"),
            "other"
        );
        // A browser (the web app): the router adds the CORS headers.
        assert_eq!(
            kind(&format!(
                "GET /device/v1/events HTTP/1.1\r\norigin: https://a.example\r\n{signed}"
            )),
            "other"
        );
        // Pipelined bytes after the head: hyper's business.
        assert_eq!(
            kind(&format!("GET /device/v1/events HTTP/1.1\r\n{signed}GET /")),
            "other"
        );
        assert_eq!(kind("\x16\x03\x01garbage\r\n\r\n"), "other");
    }
}
