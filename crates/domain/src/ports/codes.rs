use crate::model::code::CodeChallenge;
use crate::ports::StoreResult;
use async_trait::async_trait;

/// Codes sent by SMS or email.
#[async_trait]
pub trait CodeStore: Send + Sync {
    async fn insert_code_challenge(&self, challenge: &CodeChallenge) -> StoreResult<()>;
    async fn code_challenge(&self, id: &str) -> StoreResult<Option<CodeChallenge>>;
    /// Counts a wrong code; returns the attempts so far.
    async fn count_code_attempt(&self, id: &str) -> StoreResult<i64>;
    /// Compare-and-set from `pending` to `status`.
    async fn settle_code_challenge(&self, id: &str, status: &str) -> StoreResult<bool>;
    async fn count_code_challenges_since(&self, user_id: &str, since: i64) -> StoreResult<i64>;
    async fn pending_code_challenges(
        &self,
        user_id: &str,
        channel: &str,
        now: i64,
    ) -> StoreResult<Vec<CodeChallenge>>;
}
