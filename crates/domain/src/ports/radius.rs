use crate::model::radius::Challenge;
use crate::model::radius::StoredRadiusClient;
use crate::ports::StoreResult;
use async_trait::async_trait;

/// RADIUS clients (names are unique) and pending challenges.
#[async_trait]
pub trait RadiusStore: Send + Sync {
    async fn insert_radius_client(&self, client: &StoredRadiusClient) -> StoreResult<()>;
    async fn list_radius_clients(&self) -> StoreResult<Vec<StoredRadiusClient>>;
    async fn delete_radius_client(&self, name: &str) -> StoreResult<bool>;
    /// Rewrites the client with this id (every field but id and name).
    async fn update_radius_client(&self, client: &StoredRadiusClient) -> StoreResult<()>;
    async fn insert_challenge(&self, challenge: &Challenge) -> StoreResult<()>;
    /// Removes and returns the challenge if it exists and has not expired:
    /// a State is answered at most once.
    async fn take_challenge(&self, state: &str, now: i64) -> StoreResult<Option<Challenge>>;
    /// Dropped requests per client and cause whose latest drop is at or after `since`.
    async fn recent_radius_drops(
        &self,
        since: i64,
    ) -> StoreResult<Vec<crate::model::radius::DropCount>>;
}
