use crate::model::admin::Admin;
use crate::ports::StoreResult;
use async_trait::async_trait;

#[async_trait]
pub trait AdminStore: Send + Sync {
    /// Fails with `StoreError::Conflict` when the name (any case) is taken.
    async fn insert_admin(&self, admin: &Admin) -> StoreResult<()>;
    async fn admin_by_name(&self, name: &str) -> StoreResult<Option<Admin>>;
    async fn admin_by_id(&self, admin_id: &str) -> StoreResult<Option<Admin>>;
    async fn list_admins(&self) -> StoreResult<Vec<Admin>>;
    async fn delete_admin(&self, name: &str) -> StoreResult<bool>;
    async fn set_admin_password(&self, id: &str, hash: &str, now: i64) -> StoreResult<bool>;
    /// Records that the administrator's second factor is enrolled (`None`: forgotten).
    async fn set_admin_second_factor(&self, admin_id: &str, at: Option<i64>) -> StoreResult<()>;
}
