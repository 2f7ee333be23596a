//! One stream's sender: reads the store after its cursor, hands what is
//! ready to the sink, and moves the cursor only past what was delivered.
//! The queue only wakes it; the store is the source of truth, so records
//! dropped from a full queue or sent while the collector was away go out
//! once it is back, in order, each once.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use countersign_domain::{AuditQuery, AuditRecord, AuditStore, Clock};
use countersign_store::SqlStore;
use countersign_web::AuditView;
use tokio::sync::mpsc;

use super::cursor::Cursor;
use super::queue::{drain, QueueCounters};
use super::status::{self, StreamStatus};
use super::{Sink, StreamMetrics};

const PAGE: u32 = 500;
/// Between batches when caught up, so a busy second is one batch.
const LINGER: Duration = Duration::from_millis(200);
/// Looked at even without a wake-up: records of other processes.
const POLL: Duration = Duration::from_secs(1);
const SAVE_EVERY: Duration = Duration::from_secs(1);
const LOG_EVERY: Duration = Duration::from_secs(60);

pub struct Sender {
    pub name: &'static str,
    pub sink: Sink,
    pub store: SqlStore,
    pub clock: Arc<dyn Clock>,
    pub receiver: mpsc::Receiver<()>,
    pub counters: Arc<QueueCounters>,
    pub metrics: Arc<StreamMetrics>,
    /// How long a hole in the positions may be a commit still under way.
    pub hole_wait: Duration,
}

impl Sender {
    pub async fn run(mut self) {
        let mut st = self.start_status().await;
        let mut cursor = Cursor::new(st.cursor, self.hole_wait);
        let mut trouble = Trouble::default();
        loop {
            let page = match self.read(cursor.at).await {
                Ok(page) => page,
                Err(e) => {
                    tracing::warn!(sink = self.name, error = %e, "the audit stream cannot read the store; trying again");
                    tokio::time::sleep(trouble.backoff).await;
                    continue;
                }
            };
            let seqs: Vec<i64> = page.iter().map(|(s, _)| *s).collect();
            let ready = cursor.ready(&seqs, Instant::now());
            if ready > 0 {
                let batch = &page[..ready];
                if let Err(e) = self.sink.send(batch).await {
                    self.failed(&mut st, &mut trouble, &e).await;
                    continue;
                }
                let last = batch[ready - 1].0;
                cursor.advance(last);
                self.delivered(&mut st, &mut trouble, last, ready as u64);
            }
            self.save(&mut st, &mut trouble).await;
            self.metrics
                .lag
                .store(seqs.len().saturating_sub(ready) as i64, Ordering::Relaxed);
            if page.len() as u32 == PAGE && ready == page.len() {
                continue; // catching up
            }
            self.wait(ready < page.len()).await;
        }
    }

    fn delivered(&self, st: &mut StreamStatus, trouble: &mut Trouble, last: i64, n: u64) {
        st.cursor = last;
        st.sent += n;
        self.metrics.sent.fetch_add(n, Ordering::Relaxed);
        self.metrics.up.store(1, Ordering::Relaxed);
        if let Some(since) = st.down_since.take() {
            tracing::info!(
                sink = self.name,
                down_seconds = self.clock.now() - since,
                "the audit stream's collector is back; sending what it missed from the store"
            );
        }
        trouble.backoff = Duration::from_secs(1);
    }

    /// Counts and records the failure, logs it (the first, then at most
    /// once a minute), and waits before trying again from the cursor.
    async fn failed(&mut self, st: &mut StreamStatus, trouble: &mut Trouble, e: &anyhow::Error) {
        st.failures += 1;
        trouble.unlogged += 1;
        self.metrics.failures.fetch_add(1, Ordering::Relaxed);
        self.metrics.up.store(0, Ordering::Relaxed);
        let now = self.clock.now();
        let first = st.down_since.is_none();
        st.down_since.get_or_insert(now);
        st.last_error = Some(format!("{e:#}"));
        st.last_error_at = Some(now);
        if first || trouble.logged.is_none_or(|t| t.elapsed() >= LOG_EVERY) {
            tracing::warn!(sink = self.name, error = %format!("{e:#}"), failures = trouble.unlogged, "the audit stream cannot deliver; records wait in the store and go out when the collector is back");
            trouble.logged = Some(Instant::now());
            trouble.unlogged = 0;
        }
        self.save(st, trouble).await;
        drain(&mut self.receiver);
        tokio::time::sleep(trouble.backoff).await;
        trouble.backoff = (trouble.backoff * 2).min(Duration::from_secs(30));
    }

    /// Waits for a wake-up (or the poll), then a moment more to gather a batch.
    async fn wait(&mut self, hole: bool) {
        let limit = if hole {
            Duration::from_millis(100)
        } else {
            POLL
        };
        let _ = tokio::time::timeout(limit, self.receiver.recv()).await;
        tokio::time::sleep(LINGER).await;
        drain(&mut self.receiver);
    }

    async fn read(
        &self,
        after: i64,
    ) -> Result<Vec<(i64, AuditRecord)>, countersign_domain::StoreError> {
        let query = AuditQuery {
            after_seq: Some(after),
            limit: PAGE,
            ..AuditQuery::default()
        };
        self.store.audit_page(&query).await
    }

    /// The saved status, or a first one whose cursor is the newest record
    /// now: a new stream starts with what happens from now on.
    async fn start_status(&self) -> StreamStatus {
        if let Some(mut st) = status::read(&self.store, self.name).await {
            st.sent = 0;
            st.dropped = 0;
            st.failures = 0;
            return st;
        }
        loop {
            match self.store.audit_extent().await {
                Ok(extent) => {
                    return StreamStatus {
                        cursor: extent.last_seq.unwrap_or(0),
                        updated_at: self.clock.now(),
                        ..StreamStatus::default()
                    }
                }
                Err(e) => {
                    tracing::warn!(sink = self.name, error = %e, "the audit stream cannot read the store to start; trying again");
                    tokio::time::sleep(Duration::from_secs(5)).await;
                }
            }
        }
    }

    /// Saves the standing when it changed, at most once a second, except
    /// that a change of state (down, back) is saved at once.
    async fn save(&self, st: &mut StreamStatus, trouble: &mut Trouble) {
        st.dropped = self.counters.dropped.load(Ordering::Relaxed);
        let changed_state = trouble.saved.as_ref().map(|s| s.down_since) != Some(st.down_since);
        let due = trouble.saved_at.is_none_or(|t| t.elapsed() >= SAVE_EVERY);
        let same = trouble.saved.as_ref().is_some_and(|s| {
            (s.cursor, s.dropped, s.failures, s.down_since)
                == (st.cursor, st.dropped, st.failures, st.down_since)
        });
        if same || !(due || changed_state) {
            return;
        }
        st.updated_at = self.clock.now();
        status::write(&self.store, self.name, st).await;
        trouble.saved = Some(st.clone());
        trouble.saved_at = Some(Instant::now());
    }
}

/// What the sender keeps between rounds besides the status.
struct Trouble {
    backoff: Duration,
    logged: Option<Instant>,
    /// Failures since the last log line.
    unlogged: u64,
    saved: Option<StreamStatus>,
    saved_at: Option<Instant>,
}

impl Default for Trouble {
    fn default() -> Self {
        Self {
            backoff: Duration::from_secs(1),
            logged: None,
            unlogged: 0,
            saved: None,
            saved_at: None,
        }
    }
}

/// The records as the API shows them (the messages' JSON).
pub fn views(batch: &[(i64, AuditRecord)]) -> Vec<AuditView> {
    batch
        .iter()
        .map(|(seq, r)| AuditView::new(*seq, r.clone()))
        .collect()
}
