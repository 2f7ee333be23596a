use crate::model::admin::Admin;
use crate::model::session::ConsoleSession;
use crate::ports::StoreResult;
use async_trait::async_trait;

#[async_trait]
pub trait SessionStore: Send + Sync {
    async fn insert_session(&self, session: &ConsoleSession) -> StoreResult<()>;
    async fn session_by_hash(&self, id_hash: &str) -> StoreResult<Option<ConsoleSession>>;
    async fn touch_session(&self, id_hash: &str, now: i64) -> StoreResult<()>;
    async fn delete_session(&self, id_hash: &str) -> StoreResult<()>;
    /// Signs the administrator out everywhere; returns how many sessions ended.
    async fn delete_admin_sessions(&self, admin_id: &str) -> StoreResult<u64>;
    /// Removes sessions idle since `idle_before` or made before `created_before`.
    async fn delete_stale_sessions(
        &self,
        idle_before: i64,
        created_before: i64,
    ) -> StoreResult<u64>;
    /// Records that the administrator's second factor is enrolled.
    async fn set_admin_second_factor(&self, admin_id: &str, at: Option<i64>) -> StoreResult<()>;
    async fn admin_by_id(&self, admin_id: &str) -> StoreResult<Option<Admin>>;
}
