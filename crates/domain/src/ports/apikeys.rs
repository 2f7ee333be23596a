use crate::model::apikey::ApiKey;
use crate::ports::StoreResult;
use async_trait::async_trait;

/// API keys. Names are unique.
#[async_trait]
pub trait ApiKeyStore: Send + Sync {
    async fn insert_api_key(&self, key: &ApiKey) -> StoreResult<()>;
    async fn api_key_by_prefix(&self, prefix: &str) -> StoreResult<Option<ApiKey>>;
    async fn list_api_keys(&self) -> StoreResult<Vec<ApiKey>>;
    /// Marks the live key of that name revoked; false when there was none.
    async fn revoke_api_key(&self, name: &str, now: i64) -> StoreResult<bool>;
    /// Records when the key was last used.
    async fn touch_api_key(&self, id: &str, now: i64) -> StoreResult<()>;
}
