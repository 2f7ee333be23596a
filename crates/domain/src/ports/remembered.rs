use crate::model::remembered::RememberedDevice;
use crate::ports::StoreResult;
use async_trait::async_trait;

/// The `remembered_devices` table: remembered browsers by the keyed hash
/// of their cookie's token.
#[async_trait]
pub trait RememberedStore: Send + Sync {
    async fn insert_remembered(&self, device: &RememberedDevice) -> StoreResult<()>;
    /// The browser whose cookie hashes to `token_hash`, expired or not.
    async fn remembered_by_hash(&self, token_hash: &str) -> StoreResult<Option<RememberedDevice>>;
    /// A user's remembered browsers, newest first.
    async fn remembered_of(&self, user_id: &str) -> StoreResult<Vec<RememberedDevice>>;
    async fn touch_remembered(&self, id: &str, now: i64) -> StoreResult<()>;
    /// Forgets one of `user_id`'s browsers: false when there was none by that id.
    async fn delete_remembered(&self, user_id: &str, id: &str) -> StoreResult<bool>;
    /// Forgets every browser of the user; how many.
    async fn delete_remembered_of(&self, user_id: &str) -> StoreResult<u64>;
    /// Removes the rows past their end.
    async fn delete_expired_remembered(&self, now: i64) -> StoreResult<u64>;
}
