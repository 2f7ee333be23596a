//! One stream's sender. In the normal case it sends what the queue gave
//! it: the committed records with their positions, the run that follows
//! its cursor without a gap, so nothing is read back. It reads the store
//! after its cursor (the source of truth) when the queue cannot be trusted
//! to hold everything: at start, after a drop from a full queue, after a
//! failed delivery (collector away), when a gap stays a round (a record of
//! another process or node), and when nothing came for a while. It moves
//! the cursor only past what was delivered, so every record goes out once,
//! in order.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use countersign_domain::{AuditQuery, AuditRecord, AuditStore, Clock};
use countersign_store::SqlStore;
use countersign_web::AuditView;
use tokio::sync::mpsc;

use super::cursor::Cursor;
use super::held::Held;
use super::queue::{drain, Entry, QueueCounters};
use super::status::{self, StreamStatus};
use super::{Sink, StreamMetrics};

const PAGE: u32 = 500;
/// Between batches when caught up, so a busy second is one batch.
const LINGER: Duration = Duration::from_millis(200);
/// The store is read when nothing came for this long: records of other processes.
const POLL: Duration = Duration::from_secs(1);
const SAVE_EVERY: Duration = Duration::from_secs(1);
const LOG_EVERY: Duration = Duration::from_secs(60);

pub struct Sender {
    pub name: &'static str,
    pub sink: Sink,
    pub store: SqlStore,
    pub clock: Arc<dyn Clock>,
    pub receiver: mpsc::Receiver<Entry>,
    pub counters: Arc<QueueCounters>,
    pub metrics: Arc<StreamMetrics>,
    /// How long a hole in the positions may be a commit still under way.
    pub hole_wait: Duration,
    /// The queue's size: the most records held behind a gap.
    pub capacity: usize,
}

impl Sender {
    pub async fn run(mut self) {
        let mut st = self.start_status().await;
        let mut cursor = Cursor::new(st.cursor, self.hole_wait);
        let mut trouble = Trouble::default();
        let mut held = Held::new(self.capacity);
        let mut dropped = self.counters.dropped.load(Ordering::Relaxed);
        // First what the store has after the cursor (written before the start).
        let mut from_store = true;
        loop {
            if from_store {
                match self.catch_up(&mut cursor, &mut st, &mut trouble).await {
                    Some(caught_up) => from_store = !caught_up,
                    None => {
                        held.clear();
                        continue;
                    }
                }
                held.forget_through(cursor.at);
            }
            self.save(&mut st, &mut trouble).await;
            let woke = self.wait(&mut held, from_store, cursor.at).await;
            let batch = held.run(cursor.at);
            if let Some(&(last, _)) = batch.last() {
                let n = batch.len() as u64;
                if let Err(e) = self.sink.send(batch).await {
                    self.failed(&mut st, &mut trouble, &e).await;
                    held.clear();
                    from_store = true;
                    continue;
                }
                cursor.advance(last);
                self.delivered(&mut st, &mut trouble, last, n);
            }
            self.metrics.lag.store(held.len() as i64, Ordering::Relaxed);
            let now_dropped = self.counters.dropped.load(Ordering::Relaxed);
            if !woke || now_dropped != dropped || held.stuck(cursor.at) {
                from_store = true;
                dropped = now_dropped;
            }
        }
    }

    /// Sends what the store has after the cursor, page by page. Some(true)
    /// when it is all sent, Some(false) when a hole holds the rest back or
    /// the store could not be read, None when the delivery failed.
    async fn catch_up(
        &mut self,
        cursor: &mut Cursor,
        st: &mut StreamStatus,
        trouble: &mut Trouble,
    ) -> Option<bool> {
        loop {
            self.metrics.store_reads.fetch_add(1, Ordering::Relaxed);
            let mut page = match self.read(cursor.at).await {
                Ok(page) => page,
                Err(e) => {
                    tracing::warn!(sink = self.name, error = %e, "the audit stream cannot read the store; trying again");
                    tokio::time::sleep(trouble.backoff).await;
                    return Some(false);
                }
            };
            let seqs: Vec<i64> = page.iter().map(|(s, _)| *s).collect();
            let ready = cursor.ready(&seqs, Instant::now());
            self.metrics
                .lag
                .store((seqs.len() - ready) as i64, Ordering::Relaxed);
            if ready == 0 {
                return Some(page.is_empty());
            }
            let more = page.len() as u32 == PAGE && ready == page.len();
            let all = ready == page.len();
            page.truncate(ready);
            let last = page[ready - 1].0;
            if let Err(e) = self.sink.send(page).await {
                self.failed(st, trouble, &e).await;
                return None;
            }
            cursor.advance(last);
            self.delivered(st, trouble, last, ready as u64);
            if !more {
                return Some(all);
            }
            self.save(st, trouble).await;
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
        // What waited is in the store: read from there once the collector is back.
        drain(&mut self.receiver, &mut Vec::new());
        tokio::time::sleep(trouble.backoff).await;
        trouble.backoff = (trouble.backoff * 2).min(Duration::from_secs(30));
    }

    /// Waits for records (or the poll), then a moment more to gather a
    /// batch; hands them to `held`. False when nothing came in time.
    async fn wait(&mut self, held: &mut Held, soon: bool, cursor: i64) -> bool {
        let limit = if soon {
            Duration::from_millis(100)
        } else {
            POLL
        };
        let mut fresh = Vec::new();
        let recv = self.receiver.recv_many(&mut fresh, self.capacity.max(1));
        let woke = matches!(tokio::time::timeout(limit, recv).await, Ok(n) if n > 0);
        tokio::time::sleep(LINGER).await;
        drain(&mut self.receiver, &mut fresh);
        held.take(fresh, cursor);
        woke
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
pub fn views(batch: Vec<(i64, AuditRecord)>) -> impl Iterator<Item = AuditView> {
    batch.into_iter().map(|(seq, r)| AuditView::new(seq, r))
}
