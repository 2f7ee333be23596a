//! The last sync's summary as stored, for the API's status and the
//! console's directory card: readable whether or not this node has a
//! directory configured.

use std::sync::Arc;

use crate::model::directory::SyncReport;
use crate::model::error::DomainError;
use crate::ports::MetaStore;

use super::LAST_RUN_KEY;

#[derive(Clone)]
pub struct SyncStatus {
    store: Arc<dyn MetaStore>,
}

impl SyncStatus {
    pub fn new(store: Arc<dyn MetaStore>) -> Self {
        Self { store }
    }

    /// The last run's summary, if any ran.
    pub async fn last_run(&self) -> Result<Option<SyncReport>, DomainError> {
        read(self.store.as_ref()).await
    }
}

pub(super) async fn read(store: &dyn MetaStore) -> Result<Option<SyncReport>, DomainError> {
    let stored = store.get_meta(LAST_RUN_KEY).await?;
    Ok(stored.and_then(|bytes| serde_json::from_slice(&bytes).ok()))
}
