//! Passkeys in the engine: a `webauthn` challenge carrying the request
//! options, its answer (an assertion) verified against the single-use
//! challenge, and the discoverable sign-in of browser doors (no username:
//! user verification makes the passkey both factors).

use std::time::Instant;

use countersign_webauthn::{AuthenticationResponse, Challenge, WebauthnError};

use crate::methods::passkeys::Passkeys;
use crate::model::audit::Source;
use crate::model::decision::{DecisionWrite, Effects, FailureChange, PasskeyAdvance};
use crate::model::error::DomainError;
use crate::model::passkey::{CeremonyKind, StoredPasskey, WebauthnChallenge};
use crate::model::reason::Reason;
use crate::model::user::{is_principal, User};
use crate::signin::verifier::{audit_record, Entry, Verifier};
use crate::signin::{AnswerError, Attempt, Method, SignIn, Step};

const PASSKEY_PROMPT: &str = "Use your passkey (security key, phone or this device).";

/// Who signed in with a discoverable passkey, and the engine's step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasskeySignIn {
    /// The user the passkey belongs to (`None` when it is unknown).
    pub username: Option<String>,
    pub step: Step,
}

impl SignIn {
    /// Turns on passkeys (`webauthn`): without this, no user holds any.
    pub fn with_passkeys(mut self, passkeys: Passkeys) -> Self {
        self.passkeys = Some(passkeys);
        self
    }

    pub fn passkeys(&self) -> Option<&Passkeys> {
        self.passkeys.as_ref()
    }

    /// How many passkeys the user has (0 when passkeys are off).
    pub(crate) async fn passkey_count(&self, user: &User) -> Result<usize, DomainError> {
        match &self.passkeys {
            Some(p) => p.count(&user.id).await,
            None => Ok(0),
        }
    }

    /// The `webauthn` arm of `start`: a challenge listing the user's passkeys.
    pub(crate) async fn passkey_challenge(
        &self,
        attempt: &Attempt,
        user: &User,
    ) -> Result<Step, DomainError> {
        let started = Instant::now();
        let credentials = match &self.passkeys {
            Some(p) => p.credentials_of(&user.id).await?,
            None => Vec::new(),
        };
        let Some(passkeys) = self.passkeys.as_ref().filter(|_| !credentials.is_empty()) else {
            let (method, reason) = (Some(Method::Webauthn), Reason::NoMethod);
            return self
                .refuse(attempt, Some(user), method, reason, started)
                .await;
        };
        let rp = passkeys.rp_now(false)?;
        let (id, challenge) = passkeys
            .new_challenge(CeremonyKind::Assertion, Some(&user.id))
            .await?;
        let options = rp.request_options(&challenge, &credentials);
        Ok(Step::Challenge {
            transaction_id: Some(id),
            method: Method::Webauthn,
            prompt: PASSKEY_PROMPT.into(),
            options: Some(json(&options)?),
        })
    }

    /// Answers a `webauthn` challenge with the browser's
    /// `AuthenticationResponseJSON`. The challenge is single-use and
    /// expires; origin, RP ID, user verification, signature and counter
    /// are checked; a counter going backwards is `credential_cloned`.
    pub async fn answer_assertion(
        &self,
        username: &str,
        transaction_id: &str,
        assertion: &serde_json::Value,
        source: &Source,
    ) -> Result<Step, AnswerError> {
        let started = Instant::now();
        let passkeys = self.passkeys.as_ref().ok_or(AnswerError::NotFound)?;
        let row = passkeys.store.webauthn_challenge(transaction_id).await;
        let row = row
            .map_err(DomainError::from)?
            .filter(|c| c.kind == CeremonyKind::Assertion)
            .ok_or(AnswerError::NotFound)?;
        // By name: one indexed read (on SQLite a direct one), then the
        // challenge must be this user's.
        let user = passkeys
            .store
            .user_with_tokens(username)
            .await
            .map_err(DomainError::from)?
            .map(|(user, _)| user)
            .filter(|u| row.user_id.as_deref() == Some(u.id.as_str()))
            .ok_or(AnswerError::NotFound)?;
        let verdict = self
            .judge_assertion(passkeys, &row, &user, None, assertion)
            .await?;
        Ok(self
            .settle_passkey(passkeys, &user, verdict, source, started)
            .await?)
    }

    /// A discoverable sign-in's options (no username): empty
    /// `allowCredentials`, user verification required. Answer with
    /// [`SignIn::passkey_sign_in_finish`].
    pub async fn passkey_sign_in_begin(
        &self,
        _source: &Source,
    ) -> Result<(String, serde_json::Value), DomainError> {
        let passkeys = self
            .passkeys
            .as_ref()
            .ok_or_else(|| DomainError::invalid("webauthn", "passkeys are not configured"))?;
        let rp = passkeys.rp_now(true)?;
        let (id, challenge) = passkeys
            .new_challenge(CeremonyKind::Assertion, None)
            .await?;
        Ok((id, json(&rp.request_options(&challenge, &[]))?))
    }

    /// Finishes a discoverable sign-in: the user is the one the passkey
    /// (credential id and user handle) belongs to. `administrator`: the
    /// console, which alone may sign in administrators' principals (and
    /// only them); other doors never see principals.
    pub async fn passkey_sign_in_finish(
        &self,
        transaction_id: &str,
        assertion: &serde_json::Value,
        source: &Source,
        administrator: bool,
    ) -> Result<PasskeySignIn, AnswerError> {
        let started = Instant::now();
        let passkeys = self.passkeys.as_ref().ok_or(AnswerError::NotFound)?;
        let row = passkeys.store.webauthn_challenge(transaction_id).await;
        let row = row
            .map_err(DomainError::from)?
            .filter(|c| c.kind == CeremonyKind::Assertion && c.user_id.is_none())
            .ok_or(AnswerError::NotFound)?;
        let found = self.passkey_owner(passkeys, assertion).await?;
        let found = found.filter(|(u, _)| is_principal(&u.username) == administrator);
        let Some((user, passkey)) = found else {
            let entry = Entry {
                username: "",
                user: None,
                method: Method::Webauthn.as_str(),
                token_id: None,
                source,
            };
            let reason = Reason::PasskeyUnknown;
            self.verifier.record(entry, Some(reason), started).await?;
            passkeys.metrics.verified(Some(reason));
            return Ok(PasskeySignIn {
                username: None,
                step: Step::rejected(reason),
            });
        };
        if let Some(step) = self
            .passkey_ruled(&user, source, administrator, started)
            .await?
        {
            return Ok(PasskeySignIn {
                username: Some(user.username),
                step,
            });
        }
        let verdict = self
            .judge_assertion(passkeys, &row, &user, Some(passkey), assertion)
            .await?;
        let step = self
            .settle_passkey(passkeys, &user, verdict, source, started)
            .await?;
        Ok(PasskeySignIn {
            username: Some(user.username),
            step,
        })
    }

    /// The user and passkey an assertion's credential id names.
    async fn passkey_owner(
        &self,
        passkeys: &Passkeys,
        assertion: &serde_json::Value,
    ) -> Result<Option<(User, StoredPasskey)>, DomainError> {
        let Some(id) = assertion.get("rawId").and_then(|v| v.as_str()) else {
            return Ok(None);
        };
        let Some(passkey) = passkeys.store.passkey_by_credential_id(id).await? else {
            return Ok(None);
        };
        let user = passkeys.store.user_by_id(&passkey.user_id).await?;
        Ok(user.map(|u| (u, passkey)))
    }

    /// The verdict on an assertion: the challenge's take and the counter's
    /// compare-and-set for the decision to write, or the reason. A refused
    /// assertion leaves the challenge open (it expires; a replay of an
    /// accepted one finds it taken).
    async fn judge_assertion(
        &self,
        passkeys: &Passkeys,
        row: &WebauthnChallenge,
        user: &User,
        known: Option<StoredPasskey>,
        assertion: &serde_json::Value,
    ) -> Result<Result<PasskeyAdvance, Reason>, DomainError> {
        let now = self.clock.now();
        if !user.enabled {
            return Ok(Err(Reason::UserDisabled));
        }
        if user.is_locked(now) {
            return Ok(Err(Reason::UserLockedOut));
        }
        if row.used {
            return Ok(Err(Reason::CodeReused));
        }
        if row.expires_at <= now {
            return Ok(Err(Reason::ChallengeExpired));
        }
        let response = match AuthenticationResponse::from_value(assertion) {
            Ok(r) => r,
            Err(e) => return Ok(Err(reason_of(&e))),
        };
        let passkey = match known {
            Some(p) => Some(p),
            None => {
                let id = countersign_webauthn::parse::base64url_encode(
                    &response.credential_id().unwrap_or_default(),
                );
                passkeys.store.passkey_by_credential_id(&id).await?
            }
        };
        let Some(passkey) = passkey.filter(|p| p.user_id == user.id) else {
            return Ok(Err(Reason::PasskeyUnknown));
        };
        let rp = passkeys.rp_now(row.user_id.is_none())?;
        let checked = Challenge::from_bytes(&row.challenge).and_then(|challenge| {
            rp.verify_authentication(
                &response,
                &challenge,
                &passkey.credential,
                Some(user.id.as_bytes()),
            )
        });
        let done = match checked {
            Ok(done) => done,
            Err(e) => return Ok(Err(reason_of(&e))),
        };
        // Taken and counted in the decision's own write (single-use there).
        Ok(Ok(PasskeyAdvance {
            challenge_id: row.id.clone(),
            passkey_id: passkey.id,
            old: passkey.credential.sign_count,
            new: done.sign_count,
            backup_state: done.backup_state,
        }))
    }

    /// Audits the verdict (method `webauthn`) in one write with the
    /// challenge's take and the counter's compare-and-set, and answers the
    /// step: a lost compare-and-set (a replay racing, or another sign-in
    /// moving the counter) is `code_reused`.
    async fn settle_passkey(
        &self,
        passkeys: &Passkeys,
        user: &User,
        verdict: Result<PasskeyAdvance, Reason>,
        source: &Source,
        started: Instant,
    ) -> Result<Step, DomainError> {
        let entry = Entry {
            username: &user.username,
            user: Some(user),
            method: Method::Webauthn.as_str(),
            token_id: None,
            source,
        };
        let advance = match verdict {
            Ok(advance) => advance,
            Err(reason) => {
                if reason == Reason::CredentialCloned {
                    tracing::warn!(user = %user.username, "passkey counter went backwards: the credential may be cloned");
                }
                self.verifier.record(entry, Some(reason), started).await?;
                passkeys.metrics.verified(Some(reason));
                return Ok(Step::rejected(reason));
            }
        };
        let passkey_id = advance.passkey_id.clone();
        let reason = self
            .verifier
            .record_passkey(entry, advance, started)
            .await?;
        passkeys.metrics.verified(reason);
        Ok(match reason {
            None => Step::Accepted {
                method: Some(Method::Webauthn),
                credential: Some(passkey_id),
                reason: None,
            },
            Some(reason) => Step::rejected(reason),
        })
    }
}

impl Verifier {
    /// Commits an accepted passkey answer with its compare-and-set; `None`
    /// when it won, `code_reused` (counted) when it lost.
    async fn record_passkey(
        &self,
        entry: Entry<'_>,
        advance: PasskeyAdvance,
        started: Instant,
    ) -> Result<Option<Reason>, DomainError> {
        let now = self.clock.now();
        let accepted = Entry {
            token_id: Some(advance.passkey_id.clone()),
            ..entry.clone()
        };
        let write = DecisionWrite {
            user_id: entry.user.map(|u| u.id.clone()),
            now,
            cas: None,
            passkey: Some(advance),
            effects: Effects {
                failure: FailureChange::Clear,
                audit: audit_record(&accepted, None, now),
            },
            if_cas_lost: Some(self.effects(&entry, Some(Reason::CodeReused), now)),
        };
        let result = self.store.commit_decision(write).await?;
        let reason = (!result.cas_won).then_some(Reason::CodeReused);
        let logged = if reason.is_none() { accepted } else { entry };
        self.after_commit(&logged, reason, result, started);
        Ok(reason)
    }
}

fn json<T: serde::Serialize>(options: &T) -> Result<serde_json::Value, DomainError> {
    serde_json::to_value(options).map_err(|e| DomainError::invalid("webauthn", e.to_string()))
}

/// The engine's reason for a refused assertion: one per kind of check.
pub(crate) fn reason_of(e: &WebauthnError) -> Reason {
    match e.code() {
        "credential_cloned" => Reason::CredentialCloned,
        "malformed_response" | "wrong_type" => Reason::PasskeyMalformed,
        "challenge_mismatch" => Reason::ChallengeMismatch,
        "wrong_origin" => Reason::OriginMismatch,
        "wrong_rp_id" => Reason::RpIdMismatch,
        "user_presence_missing" | "user_verification_missing" => Reason::UserVerificationMissing,
        "signature_invalid" => Reason::SignatureInvalid,
        _ => Reason::PasskeyInvalid,
    }
}
