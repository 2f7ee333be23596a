use crate::model::push::Activation;
use crate::model::push::Device;
use crate::model::push::PushTransaction;
use crate::model::push::TxStatus;
use crate::ports::StoreResult;
use async_trait::async_trait;

/// Push approval: activations (single use, counted failures), devices and the nonces of their signed requests, push transactions.
#[async_trait]
pub trait PushStore: Send + Sync {
    async fn insert_activation(&self, activation: &Activation) -> StoreResult<()>;
    async fn activation_by_lookup(&self, lookup: &str) -> StoreResult<Option<Activation>>;
    /// Counts a wrong code; returns the attempts so far.
    async fn count_activation_failure(&self, id: &str) -> StoreResult<i64>;
    /// Compare-and-set: marks it used if unused, unexpired and under `max_attempts`.
    async fn use_activation(&self, id: &str, now: i64, max_attempts: i64) -> StoreResult<bool>;

    // Devices and the nonces of their signed requests.
    async fn insert_device(&self, device: &Device) -> StoreResult<()>;
    async fn devices_of_user(&self, user_id: &str) -> StoreResult<Vec<Device>>;
    async fn device(&self, id: &str) -> StoreResult<Option<Device>>;
    async fn delete_device(&self, user_id: &str, id: &str) -> StoreResult<bool>;
    /// Records a nonce; false when this device already used it. Expired
    /// nonces are not removed here but by [`PushStore::delete_expired_nonces`].
    async fn use_nonce(
        &self,
        device_id: &str,
        nonce: &str,
        expires_at: i64,
        now: i64,
    ) -> StoreResult<bool>;
    /// Removes the nonces expired at `now` (a periodic task); how many.
    async fn delete_expired_nonces(&self, now: i64) -> StoreResult<u64>;

    // Push transactions.
    async fn insert_transaction(&self, transaction: &PushTransaction) -> StoreResult<()>;
    async fn transaction(&self, id: &str) -> StoreResult<Option<PushTransaction>>;
    /// Compare-and-set from pending: true for the one call that decides it.
    async fn decide_transaction(
        &self,
        id: &str,
        status: TxStatus,
        reason: Option<&str>,
        device_id: Option<&str>,
        now: i64,
    ) -> StoreResult<bool>;
    async fn count_transactions_since(&self, user_id: &str, since: i64) -> StoreResult<i64>;
    /// A user's pushes created since `minute_since` and since `hour_since`,
    /// in one query (the two rate limits).
    async fn count_recent_transactions(
        &self,
        user_id: &str,
        minute_since: i64,
        hour_since: i64,
    ) -> StoreResult<(i64, i64)>;
    async fn pending_transactions(
        &self,
        user_id: &str,
        now: i64,
    ) -> StoreResult<Vec<PushTransaction>>;
    /// Tells every node (PostgreSQL NOTIFY); nothing to do on SQLite, where there is one node.
    async fn notify(&self, payload: &str) -> StoreResult<()>;
}
