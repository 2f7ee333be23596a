//! A stream's standing, kept in the store's `meta` table (key
//! `audit_stream.<sink>`) so `countersign doctor` and the console, which do
//! not share the sender's memory, can show it; the cursor is in it too.

use countersign_domain::ports::MetaStore;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StreamStatus {
    /// The position of the last record delivered.
    pub cursor: i64,
    /// Records delivered since the server started.
    pub sent: u64,
    /// Records that found the queue full since the server started (sent
    /// later from the store all the same).
    pub dropped: u64,
    /// Failed deliveries since the server started.
    pub failures: u64,
    /// The collector has been unreachable since then (Unix seconds).
    pub down_since: Option<i64>,
    pub last_error: Option<String>,
    pub last_error_at: Option<i64>,
    /// When the sender last wrote this (Unix seconds).
    pub updated_at: i64,
}

pub fn key(sink: &str) -> String {
    format!("audit_stream.{sink}")
}

pub async fn read(store: &dyn MetaStore, sink: &str) -> Option<StreamStatus> {
    let bytes = store.get_meta(&key(sink)).await.ok()??;
    serde_json::from_slice(&bytes).ok()
}

pub async fn write(store: &dyn MetaStore, sink: &str, status: &StreamStatus) {
    let bytes = serde_json::to_vec(status).unwrap_or_default();
    if let Err(e) = store.put_meta(&key(sink), &bytes).await {
        tracing::warn!(sink, error = %e, "cannot save the audit stream's cursor; it is saved again at the next batch");
    }
}
