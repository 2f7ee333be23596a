//! The Verifier: the one engine every door calls to decide whether a user
//! has proved a second factor. Policy, replay protection, lockout, audit
//! and metrics live here and nowhere else.

use crate::admin::settings::{Settings, SettingsHandle};
use std::sync::Arc;
use std::time::Instant;

use countersign_otp::Kind;

use crate::crypto::SecretKey;
use crate::metrics::VerifyMetrics;
use crate::model::audit::{AuditRecord, Source};
use crate::model::decision::{DecisionResult, DecisionWrite, Effects, FailureChange, TokenAdvance};
use crate::model::error::DomainError;
use crate::model::ids::new_id;
use crate::model::reason::Reason;
use crate::model::token::StoredToken;
use crate::model::user::User;
use crate::ports::clock::Clock;
use crate::ports::VerifierPorts;
use crate::signin::matching::{self, Match, Window};

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
    pub(crate) store: Arc<dyn VerifierPorts>,
    pub(crate) clock: Arc<dyn Clock>,
    key: SecretKey,
    policy: VerifyPolicy,
    /// Lockout (and the engine's method choice) as currently stored.
    settings: SettingsHandle,
    metrics: Arc<VerifyMetrics>,
    /// Where PINs (argon2id) are checked: bounded, off the async workers.
    pub(super) pool: crate::throttle::WorkPool,
}

impl Verifier {
    pub fn new(
        store: Arc<dyn VerifierPorts>,
        clock: Arc<dyn Clock>,
        key: SecretKey,
        policy: VerifyPolicy,
    ) -> Self {
        Self {
            store,
            clock,
            key,
            settings: SettingsHandle::new(Settings {
                lockout_threshold: policy.lockout_threshold,
                lockout_minutes: (policy.lockout_seconds / 60).max(1) as u32,
                ..Settings::default()
            }),
            policy,
            metrics: Arc::default(),
            pool: crate::throttle::WorkPool::default(),
        }
    }

    /// Checks PINs on the node's shared work pool.
    pub fn with_pool(mut self, pool: crate::throttle::WorkPool) -> Self {
        self.pool = pool;
        self
    }

    /// The settings this verifier (and the engine around it) obeys.
    pub fn settings(&self) -> &SettingsHandle {
        &self.settings
    }

    pub fn metrics(&self) -> &VerifyMetrics {
        &self.metrics
    }

    /// Decides, and commits the decision's effects (the token's
    /// compare-and-set, the failure count, the audit record) in one write:
    /// one read, a decision in memory, one write.
    pub async fn verify(&self, request: &Verification) -> Result<Outcome, DomainError> {
        let started = Instant::now();
        let loaded = self.store.user_with_tokens(&request.username).await?;
        self.decide_and_commit(request, loaded, started).await
    }

    /// [`Verifier::verify`] for a caller that has already read the user and
    /// their tokens (`None`: no such user), so the store is read once.
    pub async fn verify_loaded(
        &self,
        request: &Verification,
        loaded: Option<(User, Vec<StoredToken>)>,
    ) -> Result<Outcome, DomainError> {
        self.decide_and_commit(request, loaded, Instant::now())
            .await
    }

    async fn decide_and_commit(
        &self,
        request: &Verification,
        loaded: Option<(User, Vec<StoredToken>)>,
        started: Instant,
    ) -> Result<Outcome, DomainError> {
        let now = self.clock.now();
        let (user, tokens) = match loaded {
            Some((user, tokens)) => (Some(user), tokens),
            None => (None, Vec::new()),
        };
        let decision = match &user {
            None => Decision::Rejected(Reason::UnknownUser),
            Some(user) => {
                let pin_ok = self.check_pin(user, &tokens, &request.code).await?;
                self.decide(user, &tokens, &request.code, pin_ok, now)?
            }
        };
        let yubico = countersign_otp::yubico::ends_like_otp(request.code.trim());
        let entry = Entry {
            username: &request.username,
            user: user.as_ref(),
            method: if yubico { "yubico" } else { "otp" },
            token_id: None,
            source: &request.source,
        };
        let write = self.decision_write(&entry, &decision, now);
        let result = self.store.commit_decision(write).await?;
        let outcome = decision.outcome(result.cas_won);
        self.after_commit(&entry, outcome.reason(), result, started);
        Ok(outcome)
    }

    /// The decision in memory, from the user and tokens as read; `pin_ok`
    /// from [`Verifier::check_pin`].
    fn decide(
        &self,
        user: &User,
        tokens: &[StoredToken],
        code: &str,
        pin_ok: Option<bool>,
        now: i64,
    ) -> Result<Decision, DomainError> {
        let reject = |reason| Ok(Decision::Rejected(reason));
        if !user.enabled {
            return reject(Reason::UserDisabled);
        }
        if user.is_locked(now) {
            return reject(Reason::UserLockedOut);
        }
        if tokens.is_empty() {
            return reject(Reason::NoMethod);
        }
        let (mut code, digits) = typed_code(tokens, code);
        // A YubiKey types modhex letters; OATH codes are digits.
        let yubico = countersign_otp::yubico::ends_like_otp(&code);
        let tokens: Vec<&StoredToken> = tokens
            .iter()
            .filter(|t| (t.kind == Kind::Yubico) == yubico)
            .collect();
        if user.pin_hash.is_some() {
            // PIN + code: the code is the last digits (or OTP characters) of what was typed.
            match crate::crypto::pin::split(&code, digits) {
                Some((_, rest)) if pin_ok == Some(true) => code = rest.to_string(),
                Some(_) => return reject(Reason::PinIncorrect),
                None => return reject(Reason::CodeMalformed),
            }
        }
        let digits = code.bytes().all(|b| b.is_ascii_digit());
        if !yubico && (!(6..=8).contains(&code.len()) || !digits) {
            return reject(Reason::CodeMalformed);
        }
        let mut reason = Reason::CodeInvalid;
        for token in tokens
            .into_iter()
            .filter(|t| t.digits as usize == code.len())
        {
            let secret = self
                .key
                .open("tokens", &token.id, "secret", &token.sealed_secret)?;
            match matching::find(token, &secret, code.as_str(), now, self.window()) {
                // The database decides who wins when the same code arrives twice at once.
                Match::Fresh { used, drift } => {
                    return Ok(Decision::Matched(TokenAdvance {
                        token_id: token.id.clone(),
                        used,
                        drift,
                    }))
                }
                Match::Reused => reason = Reason::CodeReused,
                Match::NoMatch => {}
            }
        }
        reject(reason)
    }

    /// Both outcomes of a match (accepted if the compare-and-set wins,
    /// `code_reused` and a counted failure if it loses), or the rejection.
    fn decision_write(&self, entry: &Entry<'_>, decision: &Decision, now: i64) -> DecisionWrite {
        let user_id = entry.user.map(|u| u.id.clone());
        match decision {
            Decision::Rejected(reason) => {
                DecisionWrite::plain(user_id, now, self.effects(entry, Some(*reason), now))
            }
            Decision::Matched(advance) => {
                let accepted = Entry {
                    token_id: Some(advance.token_id.clone()),
                    ..entry.clone()
                };
                DecisionWrite {
                    user_id,
                    now,
                    cas: Some(advance.clone()),
                    passkey: None,
                    effects: Effects {
                        failure: FailureChange::Clear,
                        audit: audit_record(&accepted, None, now),
                    },
                    if_cas_lost: Some(self.effects(entry, Some(Reason::CodeReused), now)),
                }
            }
        }
    }

    /// The audit record and, when the reason counts, one more failure.
    pub(crate) fn effects(&self, entry: &Entry<'_>, reason: Option<Reason>, now: i64) -> Effects {
        let counts = entry.user.is_some() && reason.is_some_and(Reason::counts_as_failure);
        Effects {
            failure: if counts {
                FailureChange::Count {
                    threshold: self.threshold(),
                    lock_seconds: self.settings.read(Settings::lockout_seconds),
                }
            } else {
                FailureChange::None
            },
            audit: audit_record(entry, reason, now),
        }
    }

    fn threshold(&self) -> i64 {
        i64::from(self.settings.read(|s| s.lockout_threshold).max(1))
    }

    /// Logs the committed decision (and a lockout it caused); updates the metrics.
    pub(crate) fn after_commit(
        &self,
        entry: &Entry<'_>,
        reason: Option<Reason>,
        result: DecisionResult,
        started: Instant,
    ) {
        let username = entry.user.map_or(entry.username, |u| u.username.as_str());
        if let Some(state) = result.failure {
            if state.failed_attempts == self.threshold() {
                tracing::warn!(user = %username, failures = state.failed_attempts,
                    locked_until = ?state.locked_until, "user locked out after repeated failures");
            }
        }
        tracing::info!(user = %username, method = entry.method,
            result = if reason.is_none() { "accepted" } else { "rejected" },
            reason = reason.map_or("", Reason::as_str), client = entry.source.client.as_deref().unwrap_or(""),
            address = entry.source.address.as_deref().unwrap_or(""), "verification");
        self.metrics.record(reason, started.elapsed());
    }

    /// Records a decision made by another method (push, SMS or email code):
    /// the audit record and, when the reason counts towards lockout, the
    /// failure count, in one write; then the metrics.
    pub async fn record(
        &self,
        entry: Entry<'_>,
        reason: Option<Reason>,
        started: Instant,
    ) -> Result<(), DomainError> {
        let now = self.clock.now();
        let effects = self.effects(&entry, reason, now);
        let write = DecisionWrite::plain(entry.user.map(|u| u.id.clone()), now, effects);
        let result = self.store.commit_decision(write).await?;
        self.after_commit(&entry, reason, result, started);
        Ok(())
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

/// A decision made in memory, before the store has its say.
enum Decision {
    Rejected(Reason),
    /// A fresh code: accepted if this request wins the compare-and-set.
    Matched(TokenAdvance),
}

impl Decision {
    fn outcome(&self, cas_won: bool) -> Outcome {
        match self {
            Decision::Matched(advance) if cas_won => Outcome::Accepted {
                token_id: advance.token_id.clone(),
            },
            Decision::Matched(_) => Outcome::Rejected {
                reason: Reason::CodeReused,
            },
            Decision::Rejected(reason) => Outcome::Rejected { reason: *reason },
        }
    }
}

pub(crate) fn audit_record(entry: &Entry<'_>, reason: Option<Reason>, now: i64) -> AuditRecord {
    AuditRecord {
        id: new_id("aud"),
        at: now,
        username: entry
            .user
            .map_or_else(|| entry.username.to_string(), |u| u.username.clone()),
        user_id: entry.user.map(|u| u.id.clone()),
        method: entry.method.to_string(),
        token_id: entry.token_id.clone(),
        result: if reason.is_none() {
            "accepted"
        } else {
            "rejected"
        }
        .to_string(),
        reason: reason.map(|r| r.as_str().to_string()),
        api_key: entry.source.client.clone(),
        source_address: entry.source.address.clone(),
        rule: entry.source.rule.clone(),
    }
}

/// What was typed without spaces, and how many of its last characters are
/// the code when a PIN comes first: the digits of the user's first token of
/// the kind typed (a YubiKey types modhex letters; OATH codes are digits).
pub(super) fn typed_code(tokens: &[StoredToken], typed: &str) -> (String, usize) {
    let code: String = typed.chars().filter(|c| !c.is_whitespace()).collect();
    let yubico = countersign_otp::yubico::ends_like_otp(&code);
    let digits = tokens
        .iter()
        .find(|t| (t.kind == Kind::Yubico) == yubico)
        .map_or(6, |t| t.digits as usize);
    (code, digits)
}
