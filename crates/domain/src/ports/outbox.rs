use crate::model::messages::Delivery;
use crate::model::messages::MessageStatus;
use crate::model::messages::OutboxMessage;
use crate::ports::StoreResult;
use async_trait::async_trait;

/// The message outbox.
#[async_trait]
pub trait OutboxStore: Send + Sync {
    async fn insert_message(&self, message: &OutboxMessage) -> StoreResult<()>;
    /// Reserves up to `limit` due messages until `lease_until`, so two nodes never send one twice.
    async fn claim_messages(
        &self,
        now: i64,
        lease_until: i64,
        limit: i64,
    ) -> StoreResult<Vec<OutboxMessage>>;
    async fn finish_message(&self, id: &str, delivery: &Delivery) -> StoreResult<()>;
    async fn list_messages(
        &self,
        status: Option<MessageStatus>,
        limit: i64,
    ) -> StoreResult<Vec<OutboxMessage>>;
    async fn requeue_message(&self, id: &str, now: i64) -> StoreResult<bool>;
}
