//! The audit trail: one record for every verification, whatever its result.

use serde::Serialize;

/// Who asked for a verification, and from where.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Source {
    /// The name of the API key (or door) that made the request.
    pub client: Option<String>,
    /// The network address the request came from.
    pub address: Option<String>,
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
}

/// Filters for reading the trail, newest first.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub username: Option<String>,
    pub result: Option<String>,
    pub since: Option<i64>,
    pub limit: u32,
}
