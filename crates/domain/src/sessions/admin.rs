//! What only administrators' sessions do: audit the actions taken in the
//! console, and record the second factor enrolled at first sign-in.

use super::service::SessionsOf;
use super::subject::Live;
use crate::model::admin::Admin;
use crate::model::audit::AuditRecord;
use crate::model::error::DomainError;
use crate::model::ids::new_id;

/// The audit result of administrators' actions (besides `accepted`/`rejected`).
pub const ADMIN_RESULT: &str = "admin";

impl SessionsOf<Admin> {
    /// Audits an administrator's action on `target` (a user, or `-`):
    /// result `admin`, method the action, client `console:NAME`.
    pub async fn record_action(
        &self,
        live: &Live<Admin>,
        action: &str,
        target: &str,
        address: Option<String>,
    ) -> Result<(), DomainError> {
        let admin = &live.subject;
        let record = AuditRecord {
            id: new_id("aud"),
            at: self.clock.now(),
            username: target.to_string(),
            user_id: None,
            method: action.to_string(),
            token_id: None,
            result: ADMIN_RESULT.to_string(),
            reason: None,
            api_key: Some(format!("console:{}", admin.name)),
            source_address: address,
            rule: None,
        };
        tracing::info!(admin = %admin.name, action, target, "console action");
        Ok(self.store.append_audit(&record).await?)
    }

    pub async fn second_factor_enrolled(&self, admin_id: &str) -> Result<(), DomainError> {
        let now = self.clock.now();
        Ok(self
            .store
            .set_admin_second_factor(admin_id, Some(now))
            .await?)
    }
}
