//! The audit trail: one record for every verification, whatever its result.

use serde::Serialize;

/// Who asked for a verification, and from where.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Source {
    /// The name of the API key (or door) that made the request.
    pub client: Option<String>,
    /// The network address the request came from.
    pub address: Option<String>,
    /// The sign-in rule that decided (set by the engine, named in the audit record).
    pub rule: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditRecord {
    pub id: String,
    pub at: i64,
    pub username: String,
    pub user_id: Option<String>,
    pub method: String,
    pub token_id: Option<String>,
    /// `accepted` or `rejected`.
    pub result: String,
    pub reason: Option<String>,
    pub api_key: Option<String>,
    pub source_address: Option<String>,
    /// The sign-in rule that decided; `None`: the default (no rule matched).
    pub rule: Option<String>,
}

/// How many records one hour holds with one result and reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditCount {
    /// Start of the hour (Unix seconds).
    pub hour: i64,
    pub result: String,
    pub reason: Option<String>,
    pub count: i64,
}

/// Filters for reading the trail, newest first.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub username: Option<String>,
    pub result: Option<String>,
    pub since: Option<i64>,
    pub limit: u32,
    pub reason: Option<String>,
    pub method: Option<String>,
    /// The API key or door (`radius:vpn`, `console`, `cli`).
    pub client: Option<String>,
    /// Only records before this time (Unix seconds).
    pub until: Option<i64>,
    /// The next page: records older than this position (`audit_page`'s cursor).
    pub before_seq: Option<i64>,
    /// Records newer than this position, oldest first (a reader walking
    /// forward while records arrive: the API's `after`, the audit stream).
    pub after_seq: Option<i64>,
}

impl AuditQuery {
    /// Oldest first (`after_seq` given) or newest first.
    pub fn ascending(&self) -> bool {
        self.after_seq.is_some()
    }
}

/// How big the trail is (the doctor's `audit.table`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AuditExtent {
    /// Rows, exact on SQLite, the planner's estimate on PostgreSQL.
    pub rows: i64,
    /// Bytes on disk (table and indexes) when the database tells.
    pub bytes: Option<i64>,
    /// The oldest record's time (Unix seconds).
    pub oldest_at: Option<i64>,
    /// The newest record's position.
    pub last_seq: Option<i64>,
}
