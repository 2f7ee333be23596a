//! A device's event stream (`GET /device/v1/events`) held open on a plain
//! TCP connection: HTTP/1.1, chunked body, server-sent events. Hand-rolled
//! so that 10,000 idle streams cost the generator little memory and CPU.

use std::io::ErrorKind;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use anyhow::{bail, Context, Result};
use tokio::net::TcpStream;
use tokio::time::Instant;

use crate::push_api::Device;
use crate::push_drive::Rendezvous;

const PATH: &str = "/device/v1/events";
/// Bytes read at a time; a sign-in event is about 300 bytes.
const READ_SIZE: usize = 2048;
/// The most a response head or one unfinished SSE line may take.
const MAX_PENDING: usize = 16 * 1024;

/// What all streams saw, for the report.
#[derive(Default)]
pub struct StreamStats {
    pub open: AtomicUsize,
    pub events: AtomicU64,
    pub keep_alives: AtomicU64,
    pub ended: AtomicUsize,
    pub first_end: Mutex<Option<String>>,
}

/// An established stream: the response head was 200 and `text/event-stream`.
pub struct Stream {
    tcp: TcpStream,
    body: Body,
}

/// Connects, sends the signed request and reads the response head.
pub async fn open(address: SocketAddr, device: &Device) -> Result<Stream> {
    let tcp = TcpStream::connect(address).await.with_context(|| {
        format!("cannot connect to {address} (too few file descriptors? raise `ulimit -n`)")
    })?;
    tcp.set_nodelay(true)?;
    let mut request = format!(
        "GET {PATH} HTTP/1.1\r\nhost: {address}\r\naccept: text/event-stream\r\nuser-agent: push-load\r\n"
    );
    for (name, value) in device.signed_headers("GET", PATH, b"")? {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    write_all(&tcp, request.as_bytes()).await?;
    let mut head = Vec::new();
    let mut buf = [0u8; READ_SIZE];
    let end = loop {
        let n = read_some(&tcp, &mut buf).await?;
        if n == 0 {
            bail!("the server closed the stream before answering");
        }
        head.extend_from_slice(&buf[..n]);
        if let Some(end) = find(&head, b"\r\n\r\n") {
            break end;
        }
        if head.len() > MAX_PENDING {
            bail!("the response head is too long");
        }
    };
    let text = String::from_utf8_lossy(&head[..end]).to_ascii_lowercase();
    if !text.starts_with("http/1.1 200") {
        let body = String::from_utf8_lossy(&head[end + 4..]);
        bail!(
            "GET {PATH}: {} {body}",
            text.lines().next().unwrap_or_default()
        );
    }
    if !text.contains("content-type: text/event-stream") {
        bail!("GET {PATH} answered without content-type text/event-stream");
    }
    let mut body = Body::new(text.contains("transfer-encoding: chunked"));
    body.feed(&head[end + 4..])?;
    Ok(Stream { tcp, body })
}

impl Stream {
    /// Reads events until the connection ends (or the task is aborted),
    /// handing each sign-in request's id to the rendezvous.
    pub async fn follow(mut self, rendezvous: Arc<Rendezvous>, stats: Arc<StreamStats>) {
        stats.open.fetch_add(1, Ordering::Relaxed);
        let end = self.read_events(&rendezvous, &stats).await;
        stats.open.fetch_sub(1, Ordering::Relaxed);
        stats.ended.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut first) = stats.first_end.lock() {
            first.get_or_insert_with(|| match end {
                Ok(()) => "the server closed a stream".to_string(),
                Err(e) => format!("a stream failed: {e:#}"),
            });
        }
    }

    async fn read_events(&mut self, rendezvous: &Rendezvous, stats: &StreamStats) -> Result<()> {
        let mut buf = [0u8; READ_SIZE];
        loop {
            self.body.dispatch(rendezvous, stats)?;
            let n = read_some(&self.tcp, &mut buf).await?;
            if n == 0 {
                return Ok(());
            }
            self.body.feed(&buf[..n])?;
        }
    }
}

/// The decoded body so far, and the event being read.
struct Body {
    chunked: bool,
    /// Bytes not yet decoded (a chunk-size line cut short).
    raw: Vec<u8>,
    /// Left in the current chunk, and whether its CRLF is still due.
    remaining: usize,
    crlf_due: bool,
    /// Decoded text not yet split into lines.
    text: Vec<u8>,
    event: String,
    data: String,
}

impl Body {
    fn new(chunked: bool) -> Self {
        Self {
            chunked,
            raw: Vec::new(),
            remaining: 0,
            crlf_due: false,
            text: Vec::new(),
            event: String::new(),
            data: String::new(),
        }
    }

    fn feed(&mut self, bytes: &[u8]) -> Result<()> {
        if !self.chunked {
            self.text.extend_from_slice(bytes);
            return Ok(());
        }
        self.raw.extend_from_slice(bytes);
        let mut at = 0;
        while at < self.raw.len() {
            if self.remaining > 0 {
                let take = self.remaining.min(self.raw.len() - at);
                self.text.extend_from_slice(&self.raw[at..at + take]);
                self.remaining -= take;
                self.crlf_due = self.remaining == 0;
                at += take;
            } else if self.crlf_due {
                if self.raw.len() - at < 2 {
                    break;
                }
                if &self.raw[at..at + 2] != b"\r\n" {
                    bail!("a chunk does not end in CRLF");
                }
                self.crlf_due = false;
                at += 2;
            } else {
                let Some(line) = find(&self.raw[at..], b"\r\n") else {
                    break;
                };
                let size = std::str::from_utf8(&self.raw[at..at + line])?;
                let size = size.split(';').next().unwrap_or_default().trim();
                self.remaining = usize::from_str_radix(size, 16)
                    .with_context(|| format!("bad chunk size '{size}'"))?;
                at += line + 2;
                if self.remaining == 0 {
                    bail!("the server ended the stream");
                }
            }
        }
        self.raw.drain(..at);
        if self.raw.len() > MAX_PENDING || self.text.len() > MAX_PENDING {
            bail!("the stream sent a line longer than {MAX_PENDING} bytes");
        }
        Ok(())
    }

    /// Handles every complete line: comments are keep-alives; a blank line ends an event.
    fn dispatch(&mut self, rendezvous: &Rendezvous, stats: &StreamStats) -> Result<()> {
        let mut start = 0;
        while let Some(end) = self.text[start..].iter().position(|&b| b == b'\n') {
            let line = std::str::from_utf8(&self.text[start..start + end])?;
            let line = line.strip_suffix('\r').unwrap_or(line);
            if line.is_empty() {
                if self.event == "request" {
                    stats.events.fetch_add(1, Ordering::Relaxed);
                    let data: serde_json::Value = serde_json::from_str(&self.data)
                        .with_context(|| format!("the event data is not JSON: {}", self.data))?;
                    if let Some(id) = data["id"].as_str() {
                        rendezvous.arrived(id, Instant::now());
                    }
                }
                self.event.clear();
                self.data.clear();
            } else if line.starts_with(':') {
                stats.keep_alives.fetch_add(1, Ordering::Relaxed);
            } else if let Some(value) = line.strip_prefix("event:") {
                self.event = value.trim_start().to_string();
            } else if let Some(value) = line.strip_prefix("data:") {
                if !self.data.is_empty() {
                    self.data.push('\n');
                }
                self.data.push_str(value.strip_prefix(' ').unwrap_or(value));
            }
            start += end + 1;
        }
        self.text.drain(..start);
        Ok(())
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

async fn read_some(tcp: &TcpStream, buf: &mut [u8]) -> std::io::Result<usize> {
    loop {
        tcp.readable().await?;
        match tcp.try_read(buf) {
            Err(e) if e.kind() == ErrorKind::WouldBlock => continue,
            other => return other,
        }
    }
}

async fn write_all(tcp: &TcpStream, mut bytes: &[u8]) -> std::io::Result<()> {
    while !bytes.is_empty() {
        tcp.writable().await?;
        match tcp.try_write(bytes) {
            Ok(n) => bytes = &bytes[n..],
            Err(e) if e.kind() == ErrorKind::WouldBlock => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events_of(chunks: &[&[u8]]) -> (Vec<String>, u64) {
        let rendezvous = Rendezvous::default();
        let stats = StreamStats::default();
        let mut body = Body::new(true);
        for chunk in chunks {
            body.feed(chunk).unwrap();
            body.dispatch(&rendezvous, &stats).unwrap();
        }
        (
            rendezvous.arrived_ids(),
            stats.keep_alives.load(Ordering::Relaxed),
        )
    }

    #[test]
    fn decodes_chunks_split_anywhere() {
        let chunk = |text: &str| format!("{:x}\r\n{text}\r\n", text.len());
        let wire = chunk(":keep-alive\n\n") + &chunk("event: request\ndata: {\"id\":\"t1\"}\n\n");
        let wire = wire.as_bytes();
        let (whole, keep_alives) = events_of(&[wire]);
        assert_eq!(whole, vec!["t1".to_string()]);
        assert_eq!(keep_alives, 1);
        for cut in 1..wire.len() {
            let (ids, _) = events_of(&[&wire[..cut], &wire[cut..]]);
            assert_eq!(ids, vec!["t1".to_string()], "cut at {cut}");
        }
    }

    #[test]
    fn the_last_chunk_ends_the_stream() {
        let mut body = Body::new(true);
        assert!(body.feed(b"0\r\n\r\n").is_err());
    }
}
