//! SQLite and PostgreSQL adapters for the domain's [`Store`] port.
//!
//! One implementation serves both databases through sqlx's `Any` driver:
//! the SQL is written in the dialect both accept (`$1` parameters,
//! `ON CONFLICT`, `RETURNING`), and only the migrations differ.

mod admins;
mod audit;
mod audit_retention;
pub mod backup;
mod decision;
mod directory;
mod groups;
pub mod sqlite;

pub mod keys;
mod messages;
mod meta;
pub mod migrate;
mod oidc;
mod passkeys;
mod pool;
mod portal;
pub mod push;
pub mod push_listener;
mod radius;
pub mod radius_drops;
mod remembered;
mod sends;
mod sessions;
mod tokens;
mod users;
mod webpush;
mod welcome;

use countersign_domain::{Store, StoreError};
use sqlx::AnyPool;

mod codes;
pub mod connect;
pub use connect::{open, Backend, StoreOptions, ACQUIRE_TIMEOUT};

/// A boxed future: the store's entry points return one so callers inside
/// `async_trait` methods can prove `Send` (sqlx's executors otherwise trip
/// the compiler's higher-ranked lifetime check).
pub type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

/// A store on SQLite or PostgreSQL.
#[derive(Clone, Debug)]
pub struct SqlStore {
    pool: AnyPool,
    /// Where writes go: a one-connection pool on SQLite, the pool itself on PostgreSQL.
    writer: AnyPool,
    backend: Backend,
    /// SQLite only: the direct binding for decisions and the hot reads.
    direct: Option<std::sync::Arc<sqlite::Direct>>,
    /// Told of every audit record committed (the audit stream).
    tap: Tap,
}

/// The audit tap, if any (`SqlStore::with_audit_tap`).
#[derive(Clone, Default)]
pub(crate) struct Tap(Option<std::sync::Arc<dyn countersign_domain::ports::AuditTap>>);

impl Tap {
    pub(crate) fn is_set(&self) -> bool {
        self.0.is_some()
    }

    pub(crate) fn recorded(&self, seq: i64, record: countersign_domain::AuditRecord) {
        if let Some(tap) = &self.0 {
            tap.recorded(seq, record);
        }
    }
}

impl std::fmt::Debug for Tap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "Tap(set)"
        } else {
            "Tap(none)"
        })
    }
}

impl SqlStore {
    /// Tells `tap` of every audit record this store commits from now on.
    pub fn with_audit_tap(
        mut self,
        tap: std::sync::Arc<dyn countersign_domain::ports::AuditTap>,
    ) -> Self {
        self.tap = Tap(Some(tap));
        self
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub async fn close(&self) {
        self.writer.close().await;
        self.pool.close().await;
    }
}

/// Text from outside as a query parameter. PostgreSQL refuses NUL in text;
/// nothing stored contains one (validation refuses control characters), so
/// a NUL becomes U+FFFD: lookups then simply find nothing, on both databases.
pub(crate) fn outside_text(text: &str) -> String {
    text.replace('\0', "\u{FFFD}")
}

/// Turns an sqlx error into the port's error, naming unique violations as conflicts.
pub(crate) fn db_error(what: &str) -> impl Fn(sqlx::Error) -> StoreError + '_ {
    move |err| match &err {
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            StoreError::Conflict(what.to_string())
        }
        _ => StoreError::Backend(format!("{what}: {err}")),
    }
}

impl Store for SqlStore {
    fn backend(&self) -> &'static str {
        self.backend.name()
    }
}
