//! The SQLite hot path through a direct binding (rusqlite), beside sqlx.
//!
//! sqlx runs each SQLite connection on a worker thread of its own and hands
//! every statement and row over a channel; on the verification path that
//! hand-off cost more than SQLite's work. Here:
//!
//! - decisions go to one writer thread ([`writer`]) that commits every
//!   decision queued at that moment in one `BEGIN IMMEDIATE ... COMMIT`
//!   (group commit) and answers each caller with its own result once the
//!   transaction is committed;
//! - the hot reads (a user and their tokens, an API key) run on the
//!   caller's thread on a small pool of read connections ([`reads`]):
//!   short, indexed reads that WAL lets run beside the writer;
//! - WAL checkpoints run on a connection of their own every 200 ms, so the
//!   writer does not wait for the bulk of a checkpoint's copying and fsync;
//!   once a second the writer completes one between two batches, so that
//!   SQLite can start the WAL file over.
//!
//! Other statements stay on sqlx. Both share one libsqlite3-sys (bundled).

mod apply;
mod audit_reads;
mod passkey_reads;
pub(crate) mod reads;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use countersign_domain::model::decision::{DecisionResult, DecisionWrite};
use countersign_domain::ports::StoreResult;
use countersign_domain::StoreError;
use rusqlite::{Connection, OpenFlags};

/// How long a statement waits for a lock another connection (or the CLI) holds.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// How often the WAL is checkpointed (passively: never blocking the writer).
const CHECKPOINT_EVERY: Duration = Duration::from_millis(200);
/// Readers map the database file instead of copying its pages into their caches.
const MMAP_SIZE: i64 = 1 << 30;

/// The direct connections to one SQLite database file.
pub struct Direct {
    writer: writer::Writer,
    pub(crate) reads: reads::ReadPool,
    /// Dropped with this value: the checkpoint thread then stops.
    _checkpoints: mpsc::Sender<()>,
}

impl std::fmt::Debug for Direct {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Direct")
            .field("path", &self.reads.path())
            .finish_non_exhaustive()
    }
}

impl Direct {
    /// Opens the writer thread, the checkpointer and the read pool on `path`.
    /// The schema must exist (migrations run first, through sqlx).
    pub fn open(path: &Path) -> StoreResult<Direct> {
        let conn = connect(path)?;
        // Checkpoints are the checkpointer's job, off the writer's path.
        conn.pragma_update(None, "wal_autocheckpoint", 0)
            .map_err(sqlite_error("configuring the SQLite writer"))?;
        let writer = writer::Writer::start(conn)?;
        let (stop, stopped) = mpsc::channel();
        start_checkpointer(connect(path)?, stopped)?;
        Ok(Direct {
            writer,
            reads: reads::ReadPool::new(path.to_path_buf()),
            _checkpoints: stop,
        })
    }

    /// Commits one decision with whatever else is queued; answers once committed.
    pub async fn commit(&self, write: DecisionWrite) -> StoreResult<DecisionResult> {
        self.writer.commit(write).await
    }
}

/// The file of a `sqlite://PATH[?options]` URL.
pub fn path_of_url(url: &str) -> StoreResult<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    let path = rest.split('?').next().unwrap_or_default();
    if path.is_empty() || path == ":memory:" {
        return Err(StoreError::Backend(format!(
            "database.url '{url}' names no SQLite file: use sqlite://PATH (an in-memory database cannot be shared by the server's connections)"
        )));
    }
    Ok(PathBuf::from(path))
}

/// A connection with the settings every connection of the store has:
/// WAL, synchronous NORMAL (durable across a crash of the process; the
/// WAL is synced at checkpoints), and a busy timeout for other processes.
pub(crate) fn connect(path: &Path) -> StoreResult<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(|e| {
        StoreError::Backend(format!(
            "cannot open the SQLite database {}: {e}; check that the data directory exists and is writable by this user",
            path.display()
        ))
    })?;
    let err = sqlite_error("configuring a SQLite connection");
    conn.busy_timeout(BUSY_TIMEOUT).map_err(&err)?;
    conn.pragma_update(None, "journal_mode", "WAL")
        .map_err(&err)?;
    conn.pragma_update(None, "synchronous", "NORMAL")
        .map_err(&err)?;
    Ok(conn)
}

fn start_checkpointer(conn: Connection, stopped: mpsc::Receiver<()>) -> StoreResult<()> {
    std::thread::Builder::new()
        .name("sqlite-checkpoint".into())
        .spawn(move || {
            while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(CHECKPOINT_EVERY)
            {
                // PASSIVE copies what it can without waiting for (or blocking) anyone.
                let done = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
                if let Err(e) = done {
                    tracing::warn!(error = %e, "SQLite WAL checkpoint failed; retrying");
                }
            }
        })
        .map(|_| ())
        .map_err(|e| StoreError::Backend(format!("cannot start the checkpoint thread: {e}")))
}

/// Turns a rusqlite error into the port's error, naming unique violations as conflicts.
pub(crate) fn sqlite_error(what: &str) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
    move |err| match err.sqlite_error_code() {
        Some(rusqlite::ErrorCode::ConstraintViolation) => StoreError::Conflict(what.to_string()),
        _ => StoreError::Backend(format!("{what}: {err}")),
    }
}

#[cfg(test)]
mod tests {
    use super::path_of_url;
    use std::path::PathBuf;

    #[test]
    fn urls_name_files() {
        assert_eq!(
            path_of_url("sqlite:///tmp/x.db?mode=rwc").expect("path"),
            PathBuf::from("/tmp/x.db")
        );
        assert_eq!(
            path_of_url("sqlite://./d/c.db").expect("path"),
            PathBuf::from("./d/c.db")
        );
        assert!(path_of_url("sqlite::memory:").is_err());
    }
}
