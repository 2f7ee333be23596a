use crate::model::pool::PoolQuery;
use crate::model::token::StoredToken;
use crate::ports::StoreResult;
use async_trait::async_trait;

/// The pool's storage: tokens by serial, with or without a user.
#[async_trait]
pub trait PoolStore: Send + Sync {
    /// Inserts tokens (those with an empty `user_id` without a user); a
    /// serial already present is skipped. Returns the ids inserted.
    async fn insert_pool_tokens(&self, tokens: &[StoredToken]) -> StoreResult<Vec<String>>;
    /// Which of these serials are already in the store.
    async fn serials_present(&self, serials: &[String]) -> StoreResult<Vec<String>>;
    /// Tokens with a serial, by serial, with their user's name if assigned.
    async fn pool_tokens(
        &self,
        query: &PoolQuery,
    ) -> StoreResult<Vec<(StoredToken, Option<String>)>>;
    /// The token with this serial and its user's id, if any.
    async fn token_by_serial(
        &self,
        serial: &str,
    ) -> StoreResult<Option<(StoredToken, Option<String>)>>;
    /// Gives the token to the user if it has none; false otherwise.
    async fn assign_token(&self, serial: &str, user_id: &str) -> StoreResult<bool>;
    /// Takes the token from its user; false if it had none.
    async fn unassign_token(&self, serial: &str) -> StoreResult<bool>;
}
