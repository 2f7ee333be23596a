//! What the portal keeps: its sessions, enrolment links, users' portal
//! passwords and PIN history, and the names users give their tokens.

use async_trait::async_trait;

use crate::store::StoreResult;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortalSessionRow {
    /// Keyed hash of the cookie's token (hex).
    pub id_hash: String,
    pub user_id: String,
    /// [`super::PortalStage`] as text.
    pub stage: String,
    pub csrf: String,
    /// The sealed working state (base64), if any.
    pub data: Option<String>,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub address: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrolmentLinkRow {
    pub id_hash: String,
    pub user_id: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
    /// Who made it: `console:NAME`, `cli`, `welcome`.
    pub created_by: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PortalAccount {
    pub user_id: String,
    pub password_hash: Option<String>,
    /// argon2id hashes of the user's last PINs, newest first.
    pub pin_history: Vec<String>,
    pub updated_at: i64,
}

#[async_trait]
pub trait PortalStore: Send + Sync {
    async fn insert_portal_session(&self, row: &PortalSessionRow) -> StoreResult<()>;
    async fn portal_session(&self, id_hash: &str) -> StoreResult<Option<PortalSessionRow>>;
    async fn touch_portal_session(&self, id_hash: &str, now: i64) -> StoreResult<()>;
    async fn save_portal_session_data(&self, id_hash: &str, data: Option<&str>) -> StoreResult<()>;
    async fn delete_portal_session(&self, id_hash: &str) -> StoreResult<()>;
    /// Signs the user out of the portal everywhere; returns how many sessions ended.
    async fn delete_user_portal_sessions(&self, user_id: &str) -> StoreResult<u64>;
    async fn delete_stale_portal_sessions(
        &self,
        idle_before: i64,
        created_before: i64,
    ) -> StoreResult<u64>;

    async fn insert_enrolment_link(&self, link: &EnrolmentLinkRow) -> StoreResult<()>;
    async fn enrolment_link(&self, id_hash: &str) -> StoreResult<Option<EnrolmentLinkRow>>;
    /// Marks an unused, unexpired link used (one conditional UPDATE); its user when it was.
    async fn take_enrolment_link(&self, id_hash: &str, now: i64) -> StoreResult<Option<String>>;

    async fn portal_account(&self, user_id: &str) -> StoreResult<Option<PortalAccount>>;
    async fn put_portal_account(&self, account: &PortalAccount) -> StoreResult<()>;

    /// `(token id, label)` for the user's labelled tokens.
    async fn token_labels(&self, user_id: &str) -> StoreResult<Vec<(String, String)>>;
    async fn set_token_label(&self, token_id: &str, label: &str) -> StoreResult<()>;
    /// Renames one of the user's devices; false when it is not theirs.
    async fn rename_device(&self, user_id: &str, device_id: &str, name: &str) -> StoreResult<bool>;
}
