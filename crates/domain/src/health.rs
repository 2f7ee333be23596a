//! The liveness and readiness probe behind `/healthz`: whether the
//! database answers, and which database it is.

use std::sync::Arc;

use crate::ports::{MetaStore, Store};

/// The meta row read to see the database answer (it always exists).
const PROBE_KEY: &str = "key_check";

#[derive(Clone)]
pub struct Health {
    store: Arc<dyn MetaStore>,
    backend: &'static str,
}

impl Health {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self {
            backend: store.backend(),
            store,
        }
    }

    /// Which database this is (`sqlite`, `postgres`).
    pub fn backend(&self) -> &'static str {
        self.backend
    }

    /// Whether the database answers a read now.
    pub async fn database_answers(&self) -> bool {
        self.store.get_meta(PROBE_KEY).await.is_ok()
    }
}
