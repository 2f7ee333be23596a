use crate::model::webpush::StoredSubscription;
use crate::ports::StoreResult;
use async_trait::async_trait;

/// Subscriptions of the web app's devices (migration 0012).
#[async_trait]
pub trait WebPushStore: Send + Sync {
    /// Inserts or replaces the device's one subscription.
    async fn put_subscription(&self, subscription: &StoredSubscription) -> StoreResult<()>;
    async fn delete_subscription(&self, device_id: &str) -> StoreResult<bool>;
    async fn subscriptions_of_user(&self, user_id: &str) -> StoreResult<Vec<StoredSubscription>>;
    async fn record_push_result(&self, device_id: &str, result: &str, at: i64) -> StoreResult<()>;
}
