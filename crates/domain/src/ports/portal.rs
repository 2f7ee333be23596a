use crate::model::portal::EnrolmentLinkRow;
use crate::model::portal::PortalAccount;
use crate::ports::StoreResult;
use async_trait::async_trait;

#[async_trait]
pub trait PortalStore: Send + Sync {
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
