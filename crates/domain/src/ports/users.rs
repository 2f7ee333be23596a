use crate::model::token::StoredToken;
use crate::model::user::UserQuery;
use crate::model::user::{FailureState, User};
use crate::ports::StoreResult;
use async_trait::async_trait;

/// Users, their failure count and lock. Usernames are unique ignoring case.
#[async_trait]
pub trait UserStore: Send + Sync {
    async fn insert_user(&self, user: &User) -> StoreResult<()>;
    async fn user_by_name(&self, username: &str) -> StoreResult<Option<User>>;
    async fn user_by_id(&self, id: &str) -> StoreResult<Option<User>>;
    /// The user and their tokens in one read (the verification hot path).
    async fn user_with_tokens(
        &self,
        username: &str,
    ) -> StoreResult<Option<(User, Vec<StoredToken>)>>;
    /// Records the first welcome email (no-op when already welcomed).
    async fn mark_welcomed(&self, user_id: &str, now: i64) -> StoreResult<()>;
    /// The user's PIN as an argon2id hash (PHC string); `None` removes it.
    async fn set_pin(&self, user_id: &str, pin_hash: Option<&str>) -> StoreResult<()>;
    async fn pin_hash(&self, user_id: &str) -> StoreResult<Option<String>>;
    async fn list_users(&self, query: &UserQuery) -> StoreResult<Vec<User>>;
    /// Writes the profile fields (display name, email, phone, enabled, updated_at).
    async fn update_user(&self, user: &User) -> StoreResult<()>;
    /// Removes the user and their tokens; false when there was no such user.
    async fn delete_user(&self, user_id: &str) -> StoreResult<bool>;

    /// Atomically counts one more failure and locks the user for
    /// `lock_seconds` when the count reaches `threshold`.
    async fn record_failure(
        &self,
        user_id: &str,
        now: i64,
        threshold: i64,
        lock_seconds: i64,
    ) -> StoreResult<FailureState>;
    /// Clears the failure count and any lock (after a success or by an admin).
    async fn clear_failures(&self, user_id: &str) -> StoreResult<()>;

    /// Grants a one-time bypass until `(until, reason)`, or withdraws it.
    async fn set_bypass(&self, user_id: &str, bypass: Option<(i64, &str)>) -> StoreResult<bool>;
    /// Uses the bypass if it is still open at `now`; true for the one caller that got it.
    async fn take_bypass(&self, user_id: &str, now: i64) -> StoreResult<bool>;

    /// Users with this phone number (E.164), for inbound SMS.
    async fn users_by_phone(&self, phone: &str) -> StoreResult<Vec<User>>;
}
