use crate::model::welcome::WelcomeRows;
use crate::ports::StoreResult;
use async_trait::async_trait;

#[async_trait]
pub trait WelcomeStore: Send + Sync {
    /// Inserts every row's activation, link and message and marks its user
    /// welcomed (as `mark_welcomed` does), in one transaction.
    async fn insert_welcomes(&self, rows: &[WelcomeRows]) -> StoreResult<()>;
}
