//! Reading the audit trail: the API's and the console's searches, the
//! console's export and dashboard counts, and a user's own recent sign-ins
//! (the user page, the portal). Records are written by the sign-in engine.

use std::sync::Arc;

use crate::model::audit::{AuditCount, AuditQuery, AuditRecord};
use crate::model::error::DomainError;
use crate::ports::AuditStore;

#[derive(Clone)]
pub struct AuditTrail {
    store: Arc<dyn AuditStore>,
}

impl AuditTrail {
    pub fn new(store: Arc<dyn AuditStore>) -> Self {
        Self { store }
    }

    /// The records `query` selects, newest first.
    pub async fn query(&self, query: &AuditQuery) -> Result<Vec<AuditRecord>, DomainError> {
        Ok(self.store.query_audit(query).await?)
    }

    /// Like [`AuditTrail::query`], each record with its position: the next
    /// page is `before_seq` = the last position.
    pub async fn page(&self, query: &AuditQuery) -> Result<Vec<(i64, AuditRecord)>, DomainError> {
        Ok(self.store.audit_page(query).await?)
    }

    /// Records since `since` counted by hour, result and reason.
    pub async fn counts(&self, since: i64) -> Result<Vec<AuditCount>, DomainError> {
        Ok(self.store.audit_counts(since).await?)
    }

    /// The user's last `limit` records, newest first.
    pub async fn recent(
        &self,
        username: &str,
        limit: u32,
    ) -> Result<Vec<AuditRecord>, DomainError> {
        let query = AuditQuery {
            username: Some(username.to_string()),
            limit,
            ..AuditQuery::default()
        };
        self.query(&query).await
    }
}
