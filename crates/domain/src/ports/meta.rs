use crate::ports::StoreResult;
use async_trait::async_trait;

/// Small settings of the installation itself (e.g. the key check value).
#[async_trait]
pub trait MetaStore: Send + Sync {
    async fn get_meta(&self, key: &str) -> StoreResult<Option<Vec<u8>>>;
    /// Stores the value only if the key is absent; returns what is stored afterwards.
    async fn put_meta_once(&self, key: &str, value: &[u8]) -> StoreResult<Vec<u8>>;
    /// Stores the value, replacing what was there.
    async fn put_meta(&self, key: &str, value: &[u8]) -> StoreResult<()>;
}
