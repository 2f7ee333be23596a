use crate::model::session::{Session, SessionKind};
use crate::ports::StoreResult;
use async_trait::async_trait;

/// The `sessions` table: every kind of browser session in one place.
#[async_trait]
pub trait SessionStore: Send + Sync {
    async fn insert_session(&self, session: &Session) -> StoreResult<()>;
    /// The session with this hash when it is of `kind` (another kind's is not found).
    async fn session(&self, kind: SessionKind, id_hash: &str) -> StoreResult<Option<Session>>;
    async fn touch_session(&self, id_hash: &str, now: i64) -> StoreResult<()>;
    /// Replaces the sealed working state.
    async fn save_session_data(&self, id_hash: &str, data: Option<&str>) -> StoreResult<()>;
    async fn delete_session(&self, id_hash: &str) -> StoreResult<()>;
    /// Signs one administrator or user out everywhere; returns how many sessions ended.
    async fn delete_sessions_of(&self, kind: SessionKind, subject_id: &str) -> StoreResult<u64>;
    /// Signs one subject out everywhere but the session `keep` (its hash).
    async fn delete_other_sessions(
        &self,
        kind: SessionKind,
        subject_id: &str,
        keep: &str,
    ) -> StoreResult<u64>;
    /// Removes sessions of `kind` idle since `idle_before` or made before `created_before`.
    async fn delete_stale_sessions(
        &self,
        kind: SessionKind,
        idle_before: i64,
        created_before: i64,
    ) -> StoreResult<u64>;
}
