use crate::model::messages::{SendCounts, SendRecord};
use crate::ports::StoreResult;
use async_trait::async_trait;

/// The log of codes sent (`code_sends`), shared by every node, behind the
/// per-user, per-destination and global send limits.
#[async_trait]
pub trait SendStore: Send + Sync {
    /// Records `send`, then counts the sends since `since` (this one
    /// included): counting after inserting means parallel requests on any
    /// node never all see room for one more (a burst may be refused more
    /// than strictly needed, never less). Forgets sends older than `since`.
    async fn record_send(&self, send: &SendRecord, since: i64) -> StoreResult<SendCounts>;
    /// Forgets a send that was refused, so refusals do not fill the window.
    async fn forget_send(&self, id: &str) -> StoreResult<()>;
}
