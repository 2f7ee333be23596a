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

/// Told that an audit record was committed, with its position (`seq`),
/// from wherever the store wrote it (a decision, an administrator's
/// action): the audit stream's queue. Must return at once: it runs on the
/// decision's path. Calls may come out of position order (two decisions'
/// tasks race after their commits).
pub trait AuditTap: Send + Sync {
    fn recorded(&self, seq: i64, record: AuditRecord);
}
