//! The Verifier: the one engine every door calls to decide whether a user
//! has proved a second factor. Policy, replay protection, lockout, audit
//! and metrics live here and nowhere else.

use std::sync::Arc;
use std::time::Instant;

use countersign_otp::Kind;

use crate::audit::{AuditRecord, Source};
use crate::clock::Clock;
use crate::crypto::SecretKey;
use crate::error::DomainError;
use crate::ids::new_id;
use crate::matching::{self, Match, Window};
use crate::metrics::VerifyMetrics;
use crate::reason::Reason;
use crate::store::Store;
use crate::token::StoredToken;
use crate::user::User;

/// The rules of verification, from the `[verify]` configuration section.
#[derive(Debug, Clone, Copy)]
pub struct VerifyPolicy {
    pub totp_window: u32,
    pub hotp_lookahead: u32,
    pub hotp_resync_window: u32,
    pub lockout_threshold: u32,
    pub lockout_seconds: i64,
}

impl Default for VerifyPolicy {
    fn default() -> Self {
        Self {
            totp_window: 1,
            hotp_lookahead: 10,
            hotp_resync_window: 1000,
            lockout_threshold: 10,
            lockout_seconds: 15 * 60,
        }
    }
}

/// What an audit record says about who asked and how.
#[derive(Debug, Clone)]
pub struct Entry<'a> {
    pub username: &'a str,
    pub user: Option<&'a User>,
    /// `otp`, `push`, ...
    pub method: &'a str,
    /// The token (or device) that answered.
    pub token_id: Option<String>,
    pub source: &'a Source,
}

/// One request to verify a code, from any door.
#[derive(Debug, Clone)]
pub struct Verification {
    pub username: String,
    pub code: String,
    pub source: Source,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Accepted { token_id: String },
    Rejected { reason: Reason },
}

impl Outcome {
    pub fn reason(&self) -> Option<Reason> {
        match self {
            Outcome::Accepted { .. } => None,
            Outcome::Rejected { reason } => Some(*reason),
        }
    }
}

#[derive(Clone)]
pub struct Verifier {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    key: SecretKey,
    policy: VerifyPolicy,
    metrics: Arc<VerifyMetrics>,
}

impl Verifier {
    pub fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        key: SecretKey,
        policy: VerifyPolicy,
    ) -> Self {
        Self {
            store,
            clock,
            key,
            policy,
            metrics: Arc::default(),
        }
    }

    pub fn metrics(&self) -> &VerifyMetrics {
        &self.metrics
    }

    /// Decides, records the decision in the audit trail and the metrics.
    pub async fn verify(&self, request: &Verification) -> Result<Outcome, DomainError> {
        let found = self.store.user_with_tokens(&request.username).await?;
        self.verify_loaded(request, found).await
    }

    /// As [`Verifier::verify`], with the user and their tokens already read
    /// (the sign-in engine reads them once to choose the method).
    pub async fn verify_loaded(
        &self,
        request: &Verification,
        found: Option<(User, Vec<StoredToken>)>,
    ) -> Result<Outcome, DomainError> {
        let started = Instant::now();
        let now = self.clock.now();
        let (user, tokens) = match found {
            Some((user, tokens)) => (Some(user), tokens),
            None => (None, Vec::new()),
        };
        let (outcome, token_id) = match &user {
            None => (
                Outcome::Rejected {
                    reason: Reason::UnknownUser,
                },
                None,
            ),
            Some(user) => self.decide(user, &tokens, &request.code, now).await?,
        };
        let outcome = match (&user, outcome) {
            (Some(user), Outcome::Rejected { reason }) if reason.counts_as_failure() => {
                self.count_failure(user, now).await?;
                Outcome::Rejected { reason }
            }
            (_, outcome) => outcome,
        };
        self.audit(request, user.as_ref(), &outcome, token_id, now)
            .await?;
        self.metrics.record(outcome.reason(), started.elapsed());
        Ok(outcome)
    }

    async fn decide(
        &self,
        user: &User,
        tokens: &[StoredToken],
        code: &str,
        now: i64,
    ) -> Result<(Outcome, Option<String>), DomainError> {
        let reject = |reason| Ok((Outcome::Rejected { reason }, None));
        if !user.enabled {
            return reject(Reason::UserDisabled);
        }
        if user.is_locked(now) {
            return reject(Reason::UserLockedOut);
        }
        if tokens.is_empty() {
            return reject(Reason::NoMethod);
        }
        let mut code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
        if let Some(stored) = &user.pin_hash {
            // PIN + code: the code is the last digits of what was typed.
            let digits = tokens.first().map_or(6, |t| t.digits as usize);
            match crate::pin::split(&code, digits) {
                Some((pin, rest)) if crate::pin::matches(pin, stored) => code = rest.to_string(),
                Some(_) => return reject(Reason::PinIncorrect),
                None => return reject(Reason::CodeMalformed),
            }
        }
        if !(6..=8).contains(&code.len()) || !code.bytes().all(|b| b.is_ascii_digit()) {
            return reject(Reason::CodeMalformed);
        }
        let mut reason = Reason::CodeInvalid;
        for token in tokens.iter().filter(|t| t.digits as usize == code.len()) {
            match self.check_token(token, &code, now).await? {
                Some(true) => {
                    if user.failed_attempts > 0 || user.locked_until.is_some() {
                        self.store.clear_failures(&user.id).await?;
                    }
                    return Ok((
                        Outcome::Accepted {
                            token_id: token.id.clone(),
                        },
                        Some(token.id.clone()),
                    ));
                }
                Some(false) => reason = Reason::CodeReused,
                None => {}
            }
        }
        reject(reason)
    }

    /// Some(true): accepted; Some(false): a replay; None: no match.
    async fn check_token(
        &self,
        token: &StoredToken,
        code: &str,
        now: i64,
    ) -> Result<Option<bool>, DomainError> {
        let secret = self
            .key
            .open("tokens", &token.id, "secret", &token.sealed_secret)?;
        match matching::find(token, &secret, code, now, self.window()) {
            Match::Fresh { used, drift } => {
                // The database decides who wins when the same code arrives twice at once.
                let won = self
                    .store
                    .advance_token(&token.id, used, drift, now)
                    .await?;
                Ok(Some(won))
            }
            Match::Reused => Ok(Some(false)),
            Match::NoMatch => Ok(None),
        }
    }

    async fn count_failure(&self, user: &User, now: i64) -> Result<(), DomainError> {
        let threshold = i64::from(self.policy.lockout_threshold.max(1));
        let state = self
            .store
            .record_failure(&user.id, now, threshold, self.policy.lockout_seconds)
            .await?;
        if state.failed_attempts == threshold {
            tracing::warn!(user = %user.username, failures = state.failed_attempts,
                locked_until = ?state.locked_until, "user locked out after repeated failures");
        }
        Ok(())
    }

    async fn audit(
        &self,
        request: &Verification,
        user: Option<&User>,
        outcome: &Outcome,
        token_id: Option<String>,
        now: i64,
    ) -> Result<(), DomainError> {
        let entry = Entry {
            username: &request.username,
            user,
            method: "otp",
            token_id,
            source: &request.source,
        };
        self.write_audit(entry, outcome.reason(), now).await
    }

    /// Records a decision made by another method (push): audit, metrics,
    /// and the failure count when the reason counts towards lockout.
    pub async fn record(
        &self,
        entry: Entry<'_>,
        reason: Option<Reason>,
        started: Instant,
    ) -> Result<(), DomainError> {
        let now = self.clock.now();
        if let (Some(user), Some(r)) = (entry.user, reason) {
            if r.counts_as_failure() {
                self.count_failure(user, now).await?;
            }
        }
        self.write_audit(entry, reason, now).await?;
        self.metrics.record(reason, started.elapsed());
        Ok(())
    }

    async fn write_audit(
        &self,
        entry: Entry<'_>,
        reason: Option<Reason>,
        now: i64,
    ) -> Result<(), DomainError> {
        let record = AuditRecord {
            id: new_id("aud"),
            at: now,
            username: entry
                .user
                .map_or_else(|| entry.username.to_string(), |u| u.username.clone()),
            user_id: entry.user.map(|u| u.id.clone()),
            method: entry.method.to_string(),
            token_id: entry.token_id,
            result: if reason.is_none() {
                "accepted"
            } else {
                "rejected"
            }
            .to_string(),
            reason: reason.map(|r| r.as_str().to_string()),
            api_key: entry.source.client.clone(),
            source_address: entry.source.address.clone(),
        };
        tracing::info!(user = %record.username, method = entry.method, result = %record.result,
            reason = record.reason.as_deref().unwrap_or(""), client = entry.source.client.as_deref().unwrap_or(""),
            address = entry.source.address.as_deref().unwrap_or(""), "verification");
        Ok(self.store.append_audit(&record).await?)
    }

    /// Re-aligns an HOTP token from two consecutive codes the user typed.
    pub async fn resync(
        &self,
        username: &str,
        token_id: &str,
        first: &str,
        second: &str,
    ) -> Result<(), DomainError> {
        let user = self
            .store
            .user_by_name(username)
            .await?
            .ok_or_else(|| DomainError::not_found("user", username))?;
        let tokens = self.store.tokens_of_user(&user.id).await?;
        let token = tokens
            .iter()
            .find(|t| t.id == token_id)
            .ok_or_else(|| DomainError::not_found("token", token_id))?;
        if token.kind != Kind::Hotp {
            return Err(DomainError::invalid(
                "token",
                "only HOTP tokens are resynchronised; TOTP tokens follow clock drift by themselves",
            ));
        }
        let secret = self
            .key
            .open("tokens", &token.id, "secret", &token.sealed_secret)?;
        let found = matching::resync_hotp(token, &secret, first.trim(), second.trim(), self.policy.hotp_resync_window)
            .ok_or_else(|| DomainError::invalid("codes", format!(
                "the two codes are not consecutive codes of this token within {} counters: press the button twice and enter both new codes",
                self.policy.hotp_resync_window)))?;
        self.store.reset_token_counter(&token.id, found + 1).await?;
        tracing::info!(user = %user.username, token = %token.id, "HOTP token resynchronised");
        Ok(())
    }

    fn window(&self) -> Window {
        Window {
            totp_steps: self.policy.totp_window,
            hotp_lookahead: self.policy.hotp_lookahead,
        }
    }
}
