//! The limits an internet-facing listener needs: a deadline for every
//! request head (from the connection's start, or from the first byte of a
//! later request), a deadline for an idle kept-alive connection, and a cap
//! on the connections one client address holds open. A response being
//! written (an event stream included) has no deadline.
//!
//! hyper's own `header_read_timeout` is not used: it starts when a
//! connection turns idle, so it would close kept-alive connections after
//! the (short) header deadline instead of the (longer) idle one.

use std::collections::HashMap;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use countersign_domain::metrics::{LabelledCounter, MetricsSource};
use hyper::body::{Frame, SizeHint};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::Notify;
use tokio::time::Instant;

/// The configured limits.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub header_read: Duration,
    pub idle: Duration,
    /// 0: no cap.
    pub per_address: usize,
}

/// Why a connection was closed by the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    HeaderTimeout,
    IdleTimeout,
}

impl Expiry {
    pub fn label(self) -> &'static str {
        match self {
            Expiry::HeaderTimeout => "header_timeout",
            Expiry::IdleTimeout => "idle_timeout",
        }
    }
}

/// `/metrics` lines of the listener's limits.
pub struct HttpMetrics {
    pub closed: LabelledCounter,
    pub refused: LabelledCounter,
}

impl Default for HttpMetrics {
    fn default() -> Self {
        Self {
            closed: LabelledCounter::new(&["header_timeout", "idle_timeout"]),
            refused: LabelledCounter::new(&["per_address_limit"]),
        }
    }
}

impl MetricsSource for HttpMetrics {
    fn render(&self, out: &mut String) {
        self.closed.render(
            "countersign_http_connections_closed_total",
            "cause",
            "HTTP connections closed by the server for a limit, by cause.",
            out,
        );
        self.refused.render(
            "countersign_http_connections_refused_total",
            "cause",
            "HTTP connections refused with 503, by cause.",
            out,
        );
    }
}

/// Open connections per client address.
pub struct Addresses {
    max: usize,
    open: Mutex<HashMap<IpAddr, usize>>,
}

/// One admitted connection; gives its place back when dropped.
pub struct Admitted {
    addresses: Arc<Addresses>,
    ip: IpAddr,
}

impl Addresses {
    pub fn new(max: usize) -> Arc<Self> {
        Arc::new(Self {
            max,
            open: Mutex::new(HashMap::new()),
        })
    }

    /// A place for one more connection from `ip`, or `None` at the cap.
    pub fn admit(self: &Arc<Self>, ip: IpAddr) -> Option<Admitted> {
        let ip = ip.to_canonical();
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let count = open.entry(ip).or_insert(0);
        if self.max > 0 && *count >= self.max {
            return None;
        }
        *count += 1;
        Some(Admitted {
            addresses: self.clone(),
            ip,
        })
    }
}

impl Drop for Admitted {
    fn drop(&mut self) {
        let mut open = self
            .addresses
            .open
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if let Some(count) = open.get_mut(&self.ip) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.ip);
            }
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum State {
    /// Reading a request head that started at this instant.
    Head(Instant),
    /// A request is being answered.
    Busy,
    /// The previous answer ended at this instant.
    Idle(Instant),
}

/// Where one connection is between requests, and its deadline.
pub struct Phase {
    state: Mutex<State>,
    changed: Notify,
}

impl Phase {
    /// A connection accepted at `accepted`: its first head is due.
    pub fn new(accepted: Instant) -> Arc<Self> {
        Arc::new(Self {
            state: Mutex::new(State::Head(accepted)),
            changed: Notify::new(),
        })
    }

    fn set(&self, to: impl FnOnce(State) -> Option<State>) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(next) = to(*state) {
            *state = next;
            drop(state);
            self.changed.notify_one();
        }
    }

    /// A request head was read completely.
    pub fn busy(&self) {
        self.set(|_| Some(State::Busy));
    }

    /// The answer was written.
    pub fn idle(&self) {
        self.set(|_| Some(State::Idle(Instant::now())));
    }

    /// Bytes arrived: on an idle connection, a new head has begun.
    fn bytes_arrived(&self) {
        self.set(|state| match state {
            State::Idle(_) => Some(State::Head(Instant::now())),
            _ => None,
        });
    }

    /// Resolves when the connection has overrun its deadline.
    pub async fn expired(&self, limits: Limits) -> Expiry {
        loop {
            let changed = self.changed.notified();
            let state = *self.state.lock().unwrap_or_else(|e| e.into_inner());
            let (deadline, why) = match state {
                State::Head(since) => (since + limits.header_read, Expiry::HeaderTimeout),
                State::Idle(since) => (since + limits.idle, Expiry::IdleTimeout),
                State::Busy => {
                    changed.await;
                    continue;
                }
            };
            if Instant::now() >= deadline {
                return why;
            }
            tokio::select! {
                () = tokio::time::sleep_until(deadline) => {}
                () = changed => {}
            }
        }
    }
}

/// A connection's I/O that tells its [`Phase`] when bytes arrive.
pub struct Watched<I> {
    io: I,
    phase: Arc<Phase>,
}

impl<I> Watched<I> {
    pub fn new(io: I, phase: Arc<Phase>) -> Self {
        Self { io, phase }
    }
}

impl<I: AsyncRead + Unpin> AsyncRead for Watched<I> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.io).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.phase.bytes_arrived();
        }
        polled
    }
}

impl<I: AsyncWrite + Unpin> AsyncWrite for Watched<I> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

/// A response body that marks its connection idle once it is written
/// (hyper drops a body when its last frame is taken).
pub struct Tracked {
    body: Body,
    phase: Arc<Phase>,
}

impl Tracked {
    pub fn wrap(body: Body, phase: Arc<Phase>) -> Body {
        Body::new(Tracked { body, phase })
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.phase.idle();
    }
}

impl hyper::body::Body for Tracked {
    type Data = axum::body::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// The answer to a connection over the per-address cap.
pub fn refusal(max: usize) -> Vec<u8> {
    let body = format!(
        "{{\"error\":{{\"code\":\"too_many_connections\",\"message\":\"This address already has {max} \
         open connections to Countersign (http.max_connections_per_address). Close some or reuse \
         kept-alive connections, then try again.\"}}}}"
    );
    format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nretry-after: 1\r\n\
         connection: close\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_counts_per_address_and_frees_places() {
        let addresses = Addresses::new(2);
        let a: IpAddr = "192.0.2.1".parse().expect("ip");
        let b: IpAddr = "192.0.2.2".parse().expect("ip");
        let first = addresses.admit(a).expect("first");
        let _second = addresses.admit(a).expect("second");
        assert!(addresses.admit(a).is_none(), "third from a");
        assert!(addresses.admit(b).is_some(), "b has its own places");
        drop(first);
        assert!(addresses.admit(a).is_some(), "a place was freed");
        assert!(Addresses::new(0).admit(a).is_some(), "0: no cap");
    }

    #[tokio::test]
    async fn deadlines_follow_the_phase() {
        let limits = Limits {
            header_read: Duration::from_millis(50),
            idle: Duration::from_millis(200),
            per_address: 0,
        };
        let phase = Phase::new(Instant::now());
        assert_eq!(phase.expired(limits).await, Expiry::HeaderTimeout);
        phase.idle();
        let start = Instant::now();
        assert_eq!(phase.expired(limits).await, Expiry::IdleTimeout);
        assert!(start.elapsed() >= Duration::from_millis(200));
        phase.bytes_arrived();
        let start = Instant::now();
        assert_eq!(phase.expired(limits).await, Expiry::HeaderTimeout);
        assert!(
            start.elapsed() < Duration::from_millis(200),
            "a new head's deadline"
        );
        phase.busy();
        let waiting = tokio::time::timeout(Duration::from_millis(400), phase.expired(limits));
        assert!(waiting.await.is_err(), "no deadline while busy");
    }
}
