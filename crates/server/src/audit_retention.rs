//! `audit.retention_days`: old audit records are deleted off the hot path,
//! in small batches with a pause between them, so decisions never queue
//! behind a long delete (SQLite has one writer; PostgreSQL rows stay hot).

use std::time::Duration;

use countersign_domain::Clock;
use countersign_store::SqlStore;

const BATCH: u32 = 500;
const PAUSE: Duration = Duration::from_millis(50);
const EVERY: Duration = Duration::from_secs(3600);
const FIRST: Duration = Duration::from_secs(60);

/// Deletes everything older than `days`, a batch at a time; how many.
pub async fn prune(store: &SqlStore, clock: &dyn Clock, days: u32) -> u64 {
    let cutoff = clock.now() - i64::from(days) * 86_400;
    let mut total = 0;
    loop {
        match store.prune_audit(cutoff, BATCH).await {
            Ok(n) => {
                total += n;
                if n < u64::from(BATCH) {
                    return total;
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "pruning old audit records failed; trying again in an hour");
                return total;
            }
        }
        tokio::time::sleep(PAUSE).await;
    }
}

/// Prunes a minute after start, then every hour; nothing when `days` is 0.
pub fn schedule(store: SqlStore, clock: std::sync::Arc<dyn Clock>, days: u32) {
    if days == 0 {
        return;
    }
    tokio::spawn(async move {
        tokio::time::sleep(FIRST).await;
        loop {
            let pruned = prune(&store, clock.as_ref(), days).await;
            if pruned > 0 {
                tracing::info!(pruned, retention_days = days, "old audit records deleted");
            }
            tokio::time::sleep(EVERY).await;
        }
    });
}
