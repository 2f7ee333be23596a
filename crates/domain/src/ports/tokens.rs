use crate::model::token::StoredToken;
use crate::ports::StoreResult;
use async_trait::async_trait;

/// OATH tokens, and the compare-and-set that makes a code single-use.
#[async_trait]
pub trait TokenStore: Send + Sync {
    async fn insert_token(&self, token: &StoredToken) -> StoreResult<()>;
    async fn tokens_of_user(&self, user_id: &str) -> StoreResult<Vec<StoredToken>>;
    async fn delete_token(&self, user_id: &str, token_id: &str) -> StoreResult<bool>;
    /// Compare-and-set: records `used` (time step or counter) as the last
    /// accepted one only if it is later than the stored one. True when this
    /// call won; false when that value (or a later one) was already used.
    async fn advance_token(
        &self,
        token_id: &str,
        used: i64,
        drift: i64,
        now: i64,
    ) -> StoreResult<bool>;
    /// Sets the HOTP counter after a resynchronisation, unconditionally.
    async fn reset_token_counter(&self, token_id: &str, last_used: i64) -> StoreResult<()>;
}
