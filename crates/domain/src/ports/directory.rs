use crate::model::directory::DirectoryLink;
use crate::model::directory::DirectoryWrite;
use crate::model::directory::SyncMode;
use crate::model::directory::SyncReport;
use crate::model::error::DomainError;
use crate::ports::StoreResult;
use async_trait::async_trait;

#[async_trait]
pub trait DirectoryStore: Send + Sync {
    async fn directory_links(&self) -> StoreResult<Vec<DirectoryLink>>;
    /// Applies `writes` in order in one transaction: all of them or none.
    /// Links are upserted by user (`synced_at` = `now`).
    async fn apply_directory_writes(&self, writes: &[DirectoryWrite], now: i64) -> StoreResult<()>;
    /// Takes (or renews) the lease `name` for `holder` until `until`, unless
    /// another holder has it past `now`: true when `holder` has it now.
    async fn take_lease(&self, name: &str, holder: &str, now: i64, until: i64)
        -> StoreResult<bool>;
}

/// Runs a sync now (the console's button); the server implements it with
/// the directory client.
#[async_trait]
pub trait SyncTrigger: Send + Sync {
    async fn run_now(&self, mode: SyncMode) -> Result<SyncReport, DomainError>;
}
