//! The limits an internet-facing listener needs: a deadline for every
//! request head (from the connection's start, or from the first byte of a
//! later request), a deadline for an idle kept-alive connection, idle
//! deadlines for reading a body (`body`) and writing an answer the client
//! does not take, and a cap on the connections one client address holds
//! open. An answer being computed has no deadline, and an event stream's
//! writes have none either.
//!
//! hyper's own `header_read_timeout` is not used: it starts when a
//! connection turns idle, so it would close kept-alive connections after
//! the (short) header deadline instead of the (longer) idle one.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use countersign_domain::metrics::{LabelledCounter, MetricsSource};
use tokio::sync::Notify;
use tokio::time::Instant;

/// The configured limits.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub header_read: Duration,
    pub idle: Duration,
    /// Longest wait for the next bytes of a body the handler is reading.
    pub body_idle: Duration,
    /// Longest time an answer's write may stay blocked on a client that
    /// does not read.
    pub write_idle: Duration,
    /// 0: no cap.
    pub per_address: usize,
}

/// Why a connection was closed by the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    Header,
    Idle,
    Body,
    Write,
}

impl Expiry {
    pub fn label(self) -> &'static str {
        match self {
            Expiry::Header => "header_timeout",
            Expiry::Idle => "idle_timeout",
            Expiry::Body => "body_timeout",
            Expiry::Write => "write_timeout",
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
            closed: LabelledCounter::new(&[
                "header_timeout",
                "idle_timeout",
                "body_timeout",
                "write_timeout",
            ]),
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

/// A connection's phase, and what else bears on its deadline.
#[derive(Debug, Clone, Copy)]
struct Inner {
    state: State,
    /// Since when a write has been blocked (the client does not read).
    write_blocked: Option<Instant>,
    /// The answer is an event stream: its writes have no deadline.
    streaming: bool,
    /// Closed for a reason found elsewhere (a body read deadline).
    closed: Option<Expiry>,
}

/// Where one connection is between requests, and its deadline.
pub struct Phase {
    inner: Mutex<Inner>,
    changed: Notify,
}

impl Phase {
    /// A connection accepted at `accepted`: its first head is due.
    pub fn new(accepted: Instant) -> Arc<Self> {
        Arc::new(Self {
            inner: Mutex::new(Inner {
                state: State::Head(accepted),
                write_blocked: None,
                streaming: false,
                closed: None,
            }),
            changed: Notify::new(),
        })
    }

    /// Changes the phase; `to` answers whether the deadline may have moved.
    fn set(&self, to: impl FnOnce(&mut Inner) -> bool) {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if to(&mut inner) {
            drop(inner);
            self.changed.notify_one();
        }
    }

    /// A request head was read completely.
    pub fn busy(&self) {
        self.set(|inner| {
            inner.state = State::Busy;
            inner.streaming = false;
            true
        });
    }

    /// The answer is an event stream: no write deadline while it lasts.
    pub fn streaming(&self) {
        self.set(|inner| {
            inner.streaming = true;
            inner.write_blocked = None;
            true
        });
    }

    /// The answer was written.
    pub fn idle(&self) {
        self.set(|inner| {
            inner.state = State::Idle(Instant::now());
            inner.streaming = false;
            true
        });
    }

    /// Closes the connection now, for `why`.
    pub fn expire(&self, why: Expiry) {
        self.set(|inner| {
            inner.closed = Some(why);
            true
        });
    }

    /// Why the connection was expired, if it was: the connection may end by
    /// itself first (hyper closes after answering a body it could not read).
    pub fn closed_by(&self) -> Option<Expiry> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).closed
    }

    /// Bytes arrived: on an idle connection, a new head has begun.
    pub(super) fn bytes_arrived(&self) {
        self.set(|inner| match inner.state {
            State::Idle(_) => {
                inner.state = State::Head(Instant::now());
                true
            }
            _ => false,
        });
    }

    /// A write could not go out (the client's window is full), or went out.
    pub(super) fn write_blocked(&self, blocked: bool) {
        self.set(|inner| match (blocked, inner.write_blocked) {
            (true, None) if !inner.streaming => {
                inner.write_blocked = Some(Instant::now());
                true
            }
            // No wake-up needed: a deadline that passes finds it unblocked.
            (false, Some(_)) => {
                inner.write_blocked = None;
                false
            }
            _ => false,
        });
    }

    /// The deadline now, and why; `None` while an answer is being computed.
    fn deadline(inner: &Inner, limits: Limits) -> Option<(Instant, Expiry)> {
        let phase = match inner.state {
            State::Head(since) => Some((since + limits.header_read, Expiry::Header)),
            State::Idle(since) => Some((since + limits.idle, Expiry::Idle)),
            State::Busy => None,
        };
        let write = inner
            .write_blocked
            .map(|since| (since + limits.write_idle, Expiry::Write));
        match (phase, write) {
            (Some(a), Some(b)) => Some(if b.0 < a.0 { b } else { a }),
            (a, b) => a.or(b),
        }
    }

    /// Resolves when the connection has overrun its deadline.
    pub async fn expired(&self, limits: Limits) -> Expiry {
        loop {
            let changed = self.changed.notified();
            let inner = *self.inner.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(why) = inner.closed {
                return why;
            }
            let Some((deadline, why)) = Self::deadline(&inner, limits) else {
                changed.await;
                continue;
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
            body_idle: Duration::from_millis(50),
            write_idle: Duration::from_millis(50),
            per_address: 0,
        };
        let phase = Phase::new(Instant::now());
        assert_eq!(phase.expired(limits).await, Expiry::Header);
        phase.idle();
        let start = Instant::now();
        assert_eq!(phase.expired(limits).await, Expiry::Idle);
        assert!(start.elapsed() >= Duration::from_millis(200));
        phase.bytes_arrived();
        let start = Instant::now();
        assert_eq!(phase.expired(limits).await, Expiry::Header);
        assert!(
            start.elapsed() < Duration::from_millis(200),
            "a new head's deadline"
        );
        phase.busy();
        let waiting = tokio::time::timeout(Duration::from_millis(400), phase.expired(limits));
        assert!(waiting.await.is_err(), "no deadline while busy");
        phase.write_blocked(true);
        assert_eq!(phase.expired(limits).await, Expiry::Write);
        phase.write_blocked(false);
        phase.streaming();
        phase.write_blocked(true);
        let waiting = tokio::time::timeout(Duration::from_millis(200), phase.expired(limits));
        assert!(
            waiting.await.is_err(),
            "an event stream's writes have no deadline"
        );
        phase.expire(Expiry::Body);
        assert_eq!(phase.expired(limits).await, Expiry::Body);
    }
}
