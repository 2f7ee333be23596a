//! Decisions the engine makes before any method runs: refusals and
//! unenrolled users let through. Audited like every other decision.

use std::time::Instant;

use crate::model::audit::AuditRecord;
use crate::model::decision::{DecisionWrite, Effects, FailureChange};
use crate::model::error::DomainError;
use crate::model::ids::new_id;
use crate::model::reason::Reason;
use crate::model::user::User;
use crate::signin::verifier::Entry;
use crate::signin::{Attempt, Method, SignIn, Step};

impl SignIn {
    /// Rejects before a method runs; the reason is audited (and counted
    /// towards lockout when it is a failure).
    pub(crate) async fn refuse(
        &self,
        attempt: &Attempt,
        user: Option<&User>,
        method: Option<Method>,
        reason: Reason,
        started: Instant,
    ) -> Result<Step, DomainError> {
        let entry = Entry {
            username: &attempt.username,
            user,
            method: method.map_or("none", Method::as_str),
            token_id: None,
            source: &attempt.source,
        };
        self.verifier.record(entry, Some(reason), started).await?;
        Ok(Step::rejected(reason))
    }

    /// A user who is unknown (`user` is `None`) or has no method: let
    /// through as `not_enrolled` when the door allows it, else rejected.
    pub(crate) async fn unenrolled(
        &self,
        attempt: &Attempt,
        user: Option<&User>,
        started: Instant,
    ) -> Result<Step, DomainError> {
        if attempt.rules.require_user_match {
            let reason = match user {
                None => Reason::UnknownUser,
                Some(_) => Reason::NoMethod,
            };
            return self
                .refuse(attempt, user, attempt.method, reason, started)
                .await;
        }
        tracing::info!(user = %attempt.username, client = attempt.source.client.as_deref().unwrap_or(""),
            "sign-in let through without a second factor: the user is not enrolled and the door does not require a user match");
        self.let_through(attempt, user, Reason::NotEnrolled, started)
            .await
    }

    /// Accepts without a second factor (`not_enrolled`, `bypassed`):
    /// audited with the reason.
    pub(crate) async fn let_through(
        &self,
        attempt: &Attempt,
        user: Option<&User>,
        reason: Reason,
        started: Instant,
    ) -> Result<Step, DomainError> {
        self.let_through_by(attempt, user, (reason, None), started)
            .await
    }

    /// As [`SignIn::let_through`], naming what let the user through (a
    /// remembered browser's id) as the audit record's credential.
    pub(crate) async fn let_through_by(
        &self,
        attempt: &Attempt,
        user: Option<&User>,
        (reason, credential): (Reason, Option<String>),
        started: Instant,
    ) -> Result<Step, DomainError> {
        let record = AuditRecord {
            id: new_id("aud"),
            at: self.clock.now(),
            username: user.map_or_else(|| attempt.username.clone(), |u| u.username.clone()),
            user_id: user.map(|u| u.id.clone()),
            method: "none".into(),
            token_id: credential.clone(),
            result: "accepted".into(),
            reason: Some(reason.as_str().into()),
            api_key: attempt.source.client.clone(),
            source_address: attempt.source.address.clone(),
            rule: attempt.source.rule.clone(),
        };
        let effects = Effects {
            // A bypass ends the user's run of failures like any success.
            failure: match reason {
                Reason::Bypassed => FailureChange::Clear,
                _ => FailureChange::None,
            },
            audit: record,
        };
        let write = DecisionWrite::plain(user.map(|u| u.id.clone()), effects.audit.at, effects);
        self.store.commit_decision(write).await?;
        self.verifier.metrics().record(None, started.elapsed());
        Ok(Step::Accepted {
            method: None,
            credential,
            reason: Some(reason),
        })
    }
}

impl SignIn {
    /// A door's own challenge state (a RADIUS State) that is unknown,
    /// already answered or too old: audited as `challenge_expired`.
    pub async fn expired_challenge(&self, attempt: &Attempt) -> Result<Step, DomainError> {
        let started = Instant::now();
        let user = self.store.user_by_name(&attempt.username).await?;
        let reason = Reason::ChallengeExpired;
        self.refuse(attempt, user.as_ref(), Some(Method::Otp), reason, started)
            .await
    }
}
