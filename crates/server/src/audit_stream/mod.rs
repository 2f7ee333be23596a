//! The audit trail's live streams (`[audit.syslog]`, `[audit.file]`): each
//! record the store commits is put, with its position and without waiting,
//! in each stream's bounded queue (`queue.rs`, the store's `AuditTap`);
//! each stream's sender (`sender.rs`) sends the gapless run after its own
//! cursor (`cursor.rs`, `held.rs`) and reads the store only for what the
//! queue does not have; it delivers in position order: RFC 5424 syslog
//! (`rfc5424.rs`, `syslog.rs`) or JSON lines (`file.rs`). Its standing is kept in `meta` (`status.rs`)
//! for the doctor and the console. Run by `serve` only.

pub mod cursor;
pub mod file;
pub mod held;
pub mod queue;
pub mod rfc5424;
pub mod sender;
pub mod status;
pub mod syslog;

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Result;
use countersign_domain::metrics::MetricsSource;
use countersign_domain::{AuditRecord, Clock};
use countersign_store::{Backend, SqlStore};
use tokio::sync::mpsc;

use crate::config::audit::AuditConfig;
use queue::{FanOut, QueueCounters};

/// Where a stream delivers.
pub enum Sink {
    Syslog(syslog::SyslogSink, rfc5424::Header),
    File(file::FileSink),
}

impl Sink {
    async fn send(&mut self, batch: Vec<(i64, AuditRecord)>) -> Result<()> {
        let n = batch.len();
        let views = sender::views(batch);
        match self {
            Sink::Syslog(sink, header) => {
                let frames = rfc5424::frames(header, views, n);
                sink.send(&frames).await
            }
            Sink::File(sink) => {
                let lines: Vec<String> = views
                    .map(|v| serde_json::to_string(&v).unwrap_or_default() + "\n")
                    .collect();
                sink.send(&lines)
            }
        }
    }
}

/// One stream's counters for `/metrics`.
#[derive(Debug, Default)]
pub struct StreamMetrics {
    pub sent: AtomicU64,
    pub failures: AtomicU64,
    /// 1 while the last delivery worked.
    pub up: AtomicI64,
    /// Records held back behind a hole (read, or from the queue).
    pub lag: AtomicI64,
    /// Pages read from the store (the queue did not have everything).
    pub store_reads: AtomicU64,
}

/// A stream built, waiting for `serve` to start its sender.
struct Pending {
    name: &'static str,
    sink: Sink,
    receiver: mpsc::Receiver<queue::Entry>,
}

/// The configured streams: the tap for the store, the senders for `serve`.
pub struct Streams {
    pending: Mutex<Vec<Pending>>,
    counters: Vec<(&'static str, Arc<QueueCounters>, Arc<StreamMetrics>)>,
    capacity: usize,
}

impl Streams {
    /// Builds the configured sinks and their queues; `None` when no stream
    /// is configured (nothing is tapped then).
    pub fn build(config: &AuditConfig) -> Result<Option<(Arc<Streams>, Arc<FanOut>)>> {
        let mut sinks: Vec<(&'static str, Sink)> = Vec::new();
        if let Some(syslog) = &config.syslog {
            let header = rfc5424::Header::new(syslog.facility, syslog.hostname.as_deref());
            sinks.push((
                "syslog",
                Sink::Syslog(syslog::SyslogSink::new(syslog)?, header),
            ));
        }
        if let Some(file) = &config.file {
            sinks.push(("file", Sink::File(file::FileSink::new(file))));
        }
        if sinks.is_empty() {
            return Ok(None);
        }
        let mut taps = Vec::new();
        let mut pending = Vec::new();
        let mut counters = Vec::new();
        for (name, sink) in sinks {
            let (tap, receiver) = queue::queue(config.queue);
            counters.push((
                name,
                tap.counters.clone(),
                Arc::new(StreamMetrics::default()),
            ));
            taps.push(tap);
            pending.push(Pending {
                name,
                sink,
                receiver,
            });
        }
        let streams = Arc::new(Streams {
            pending: Mutex::new(pending),
            counters,
            capacity: config.queue,
        });
        Ok(Some((streams, Arc::new(FanOut(taps)))))
    }

    /// Starts every stream's sender (once; later calls start nothing).
    pub fn start(&self, store: &SqlStore, clock: Arc<dyn Clock>) {
        let pending = match self.pending.lock() {
            Ok(mut p) => std::mem::take(&mut *p),
            Err(_) => return,
        };
        // PostgreSQL commits may land out of position order (see cursor.rs).
        let hole_wait = match store.backend() {
            Backend::Postgres => Duration::from_secs(10),
            Backend::Sqlite => Duration::ZERO,
        };
        for p in pending {
            let Some((_, counters, metrics)) = self.counters.iter().find(|(n, _, _)| *n == p.name)
            else {
                continue;
            };
            let sender = sender::Sender {
                name: p.name,
                sink: p.sink,
                store: store.clone(),
                clock: clock.clone(),
                receiver: p.receiver,
                counters: counters.clone(),
                metrics: metrics.clone(),
                hole_wait,
                capacity: self.capacity,
            };
            tracing::info!(sink = p.name, "audit stream started");
            tokio::spawn(sender.run());
        }
    }
}

/// A metric family: name, type, help and how to read one stream's value.
type Family = (
    &'static str,
    &'static str,
    &'static str,
    fn(&QueueCounters, &StreamMetrics) -> i64,
);

impl MetricsSource for Streams {
    fn render(&self, out: &mut String) {
        let families: [Family; 6] = [
            (
                "countersign_audit_stream_sent_total",
                "counter",
                "Audit records delivered by each stream.",
                |_, m| m.sent.load(Ordering::Relaxed) as i64,
            ),
            (
                "countersign_audit_stream_dropped_total",
                "counter",
                "Audit records that found a stream's queue full (sent later from the store).",
                |q, _| q.dropped.load(Ordering::Relaxed) as i64,
            ),
            (
                "countersign_audit_stream_failures_total",
                "counter",
                "Failed deliveries to a stream's collector or file.",
                |_, m| m.failures.load(Ordering::Relaxed) as i64,
            ),
            (
                "countersign_audit_stream_store_reads_total",
                "counter",
                "Pages an audit stream read from the store because its queue did not have every record.",
                |_, m| m.store_reads.load(Ordering::Relaxed) as i64,
            ),
            (
                "countersign_audit_stream_up",
                "gauge",
                "1 while a stream's last delivery worked.",
                |_, m| m.up.load(Ordering::Relaxed),
            ),
            (
                "countersign_audit_stream_held",
                "gauge",
                "Audit records held back behind a gap in the positions (a commit still under way).",
                |_, m| m.lag.load(Ordering::Relaxed),
            ),
        ];
        for (name, kind, help, value) in families {
            out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} {kind}\n"));
            for (sink, q, m) in &self.counters {
                out.push_str(&format!("{name}{{sink=\"{sink}\"}} {}\n", value(q, m)));
            }
        }
    }
}
