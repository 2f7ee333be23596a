//! What the portal asks the engine besides signing in: which methods a user
//! can use now, and a user's "this wasn't me" about an earlier sign-in.

use crate::model::audit::{AuditRecord, Source};
use crate::model::error::DomainError;
use crate::model::ids::new_id;
use crate::model::reason::Reason;
use crate::model::user::User;
use crate::signin::{Method, Methods, SignIn};

impl SignIn {
    /// The methods the user can use now and the one used when none is named.
    pub async fn methods_for(&self, user: &User) -> Result<(Methods, Option<Method>), DomainError> {
        let tokens = self.store.tokens_of_user(&user.id).await?;
        let methods = self.methods_of(user, &tokens).await?;
        let default = methods.default_for(user);
        Ok((methods, default))
    }

    /// The user reports a sign-in they did not make, as a push's "deny and
    /// report" does: audited as `fraud_reported` (naming the record reported)
    /// and, when the push policy says so, the user is blocked. Returns
    /// whether the user was blocked.
    pub async fn report_fraud(
        &self,
        user: &User,
        reported: &AuditRecord,
        source: &Source,
    ) -> Result<bool, DomainError> {
        if reported.user_id.as_deref() != Some(user.id.as_str())
            && reported.username != user.username
        {
            return Err(DomainError::not_found("sign-in", &reported.id));
        }
        tracing::warn!(user = %user.username, record = %reported.id, "sign-in reported as fraud by the user");
        let record = AuditRecord {
            id: new_id("aud"),
            at: self.clock.now(),
            username: user.username.clone(),
            user_id: Some(user.id.clone()),
            method: reported.method.clone(),
            token_id: Some(reported.id.clone()),
            result: "rejected".into(),
            reason: Some(Reason::FraudReported.as_str().into()),
            api_key: source.client.clone(),
            source_address: source.address.clone(),
            rule: source.rule.clone(),
        };
        self.store.append_audit(&record).await?;
        if !self.push.policy().fraud_blocks_user {
            return Ok(false);
        }
        let Some(mut current) = self.store.user_by_id(&user.id).await? else {
            return Ok(false);
        };
        current.enabled = false;
        current.updated_at = self.clock.now();
        self.store.update_user(&current).await?;
        tracing::warn!(user = %user.username, "user blocked after a fraud report: re-enable with `countersign user enable`");
        Ok(true)
    }
}
