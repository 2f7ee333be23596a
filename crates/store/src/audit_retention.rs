//! Keeping the `audit` table in bounds: pruning from the oldest end in
//! small batches (`audit.retention_days`), and its size for the doctor.
//! Outside the `Store` port: it is the server's housekeeping, not a decision.

use countersign_domain::model::audit::AuditExtent;
use countersign_domain::StoreError;
use sqlx::Row;

use crate::{db_error, Backend, SqlStore};

impl SqlStore {
    /// Deletes up to `batch` of the oldest records older than `cutoff`
    /// (Unix seconds) and says how many went. Only the oldest `batch` rows
    /// by position are looked at, through the primary key, so a call costs
    /// the same however large the table is; fewer than `batch` deleted
    /// means the old end is reached.
    pub async fn prune_audit(&self, cutoff: i64, batch: u32) -> Result<u64, StoreError> {
        let done = sqlx::query(&format!(
            "DELETE FROM audit WHERE seq IN \
             (SELECT seq FROM audit ORDER BY seq LIMIT {batch}) AND at < $1"
        ))
        .bind(cutoff)
        .execute(&self.writer)
        .await
        .map_err(db_error("pruning old audit records"))?;
        Ok(done.rows_affected())
    }

    /// The table's rows, bytes, oldest record and last position.
    pub async fn audit_extent(&self) -> Result<AuditExtent, StoreError> {
        let err = db_error("measuring the audit table");
        let ends = sqlx::query(
            "SELECT (SELECT at FROM audit ORDER BY seq LIMIT 1) AS oldest, \
             (SELECT seq FROM audit ORDER BY seq DESC LIMIT 1) AS last",
        )
        .fetch_one(&self.pool)
        .await
        .map_err(&err)?;
        let oldest_at: Option<i64> = ends.try_get("oldest").map_err(&err)?;
        let last_seq: Option<i64> = ends.try_get("last").map_err(&err)?;
        let (rows, bytes) = match self.backend {
            // A count would read every row of a large table: the planner's
            // estimate (kept by autovacuum) and the relation's size instead.
            Backend::Postgres => {
                let row = sqlx::query(
                    "SELECT GREATEST(reltuples, 0)::BIGINT AS n, \
                     pg_total_relation_size('audit')::BIGINT AS bytes \
                     FROM pg_class WHERE relname = 'audit' AND relkind = 'r' LIMIT 1",
                )
                .fetch_one(&self.pool)
                .await
                .map_err(&err)?;
                let mut n: i64 = row.try_get("n").map_err(&err)?;
                if n == 0 && last_seq.is_some() {
                    // Not analysed yet: a young table, cheap to count.
                    n = count(&self.pool).await?;
                }
                (n, Some(row.try_get::<i64, _>("bytes").map_err(&err)?))
            }
            Backend::Sqlite => (count(&self.pool).await?, None),
        };
        Ok(AuditExtent {
            rows,
            bytes,
            oldest_at,
            last_seq,
        })
    }
}

async fn count(pool: &sqlx::AnyPool) -> Result<i64, StoreError> {
    let err = db_error("counting audit records");
    let row = sqlx::query("SELECT COUNT(*) AS n FROM audit")
        .fetch_one(pool)
        .await
        .map_err(&err)?;
    row.try_get::<i64, _>("n").map_err(&err)
}
