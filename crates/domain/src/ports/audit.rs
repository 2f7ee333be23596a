use crate::model::audit::AuditQuery;
use crate::model::audit::AuditRecord;
use crate::ports::StoreResult;
use async_trait::async_trait;

/// The audit trail.
#[async_trait]
pub trait AuditStore: Send + Sync {
    async fn append_audit(&self, record: &AuditRecord) -> StoreResult<()>;
    async fn query_audit(&self, query: &AuditQuery) -> StoreResult<Vec<AuditRecord>>;
    /// Like `query_audit`, each record with its position for the next page.
    async fn audit_page(&self, query: &AuditQuery) -> StoreResult<Vec<(i64, AuditRecord)>>;
    /// Records since `since` counted by hour, result and reason (the dashboard).
    async fn audit_counts(&self, since: i64) -> StoreResult<Vec<crate::model::audit::AuditCount>>;
}
