//! The writer thread: group commit of decisions.
//!
//! Callers queue a decision and wait on a oneshot. The thread takes what is
//! queued (up to [`MAX_BATCH`]), applies it in one `BEGIN IMMEDIATE` ..
//! `COMMIT` and only then answers every caller with its own result: an
//! answer always follows its commit. If any decision of a batch fails, the
//! batch is rolled back and each decision retried in a transaction of its
//! own, so one bad write cannot fail the others.

use std::sync::mpsc;
use std::time::{Duration, Instant};

use countersign_domain::model::decision::{DecisionResult, DecisionWrite};
use countersign_domain::ports::StoreResult;
use countersign_domain::StoreError;
use rusqlite::{Connection, Transaction, TransactionBehavior};
use tokio::sync::oneshot;

use super::{apply, sqlite_error};

/// The most decisions committed in one transaction.
const MAX_BATCH: usize = 256;
/// How often the writer completes a checkpoint (see [`finish_checkpoint`]).
const FINISH_CHECKPOINT_EVERY: Duration = Duration::from_secs(1);

struct Job {
    write: DecisionWrite,
    reply: oneshot::Sender<StoreResult<DecisionResult>>,
}

/// The handle callers queue decisions on; the thread ends when it is dropped.
pub struct Writer {
    jobs: mpsc::Sender<Job>,
}

impl Writer {
    pub fn start(conn: Connection) -> StoreResult<Writer> {
        let (jobs, queue) = mpsc::channel();
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || run(conn, &queue))
            .map_err(|e| StoreError::Backend(format!("cannot start the SQLite writer: {e}")))?;
        Ok(Writer { jobs })
    }

    pub async fn commit(&self, write: DecisionWrite) -> StoreResult<DecisionResult> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job { write, reply })
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

fn stopped() -> StoreError {
    StoreError::Backend(
        "the SQLite writer thread has stopped (see the log for why); restart the server".into(),
    )
}

fn run(mut conn: Connection, queue: &mpsc::Receiver<Job>) {
    let mut last_checkpoint = Instant::now();
    while let Ok(first) = queue.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        commit_batch(&mut conn, batch);
        if last_checkpoint.elapsed() >= FINISH_CHECKPOINT_EVERY {
            finish_checkpoint(&conn);
            last_checkpoint = Instant::now();
        }
    }
}

/// Between two batches, copies what the checkpointer has not copied yet.
///
/// The checkpointer thread does the bulk of the work, but under steady
/// writes it never sees the whole WAL copied, and SQLite starts the WAL
/// file over only when a write transaction begins on a fully copied WAL;
/// without this the file grows without bound. Here nothing is appended
/// meanwhile, so the checkpoint completes (unless a reader still holds an
/// older snapshot: then the next one does) with little left to copy.
fn finish_checkpoint(conn: &Connection) {
    let started = Instant::now();
    let done = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| {
        Ok((row.get::<_, i64>(1)?, row.get::<_, i64>(2)?))
    });
    match done {
        Ok((frames, copied)) => tracing::debug!(frames, copied, elapsed = ?started.elapsed(),
            "writer finished a WAL checkpoint"),
        Err(e) => tracing::warn!(error = %e, "SQLite WAL checkpoint failed; retrying later"),
    }
}

fn commit_batch(conn: &mut Connection, batch: Vec<Job>) {
    let started = Instant::now();
    let all = in_transaction(conn, |tx| {
        batch
            .iter()
            .map(|job| apply::decision(tx, &job.write))
            .collect::<StoreResult<Vec<_>>>()
    });
    match all {
        Ok(results) => {
            tracing::trace!(decisions = batch.len(), elapsed = ?started.elapsed(), "group commit");
            for (job, result) in batch.into_iter().zip(results) {
                let _ = job.reply.send(Ok(result));
            }
        }
        Err(e) if batch.len() == 1 => {
            if let Some(job) = batch.into_iter().next() {
                let _ = job.reply.send(Err(e));
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, decisions = batch.len(),
                "a group commit failed; committing its decisions one by one");
            for job in batch {
                let result = in_transaction(conn, |tx| apply::decision(tx, &job.write));
                let _ = job.reply.send(result);
            }
        }
    }
}

/// Runs `f` in one immediate transaction; nothing is kept when it fails.
fn in_transaction<T>(
    conn: &mut Connection,
    f: impl FnOnce(&Transaction<'_>) -> StoreResult<T>,
) -> StoreResult<T> {
    let err = sqlite_error("committing a decision");
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(&err)?;
    let value = f(&tx)?;
    tx.commit().map_err(&err)?;
    Ok(value)
}
