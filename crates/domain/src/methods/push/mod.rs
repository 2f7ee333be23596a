//! Push approval: sending sign-in requests to a user's devices, and
//! deciding them once from the device's answer, a timeout, or a refusal.

pub mod activation;
pub mod device_auth;
mod devices;
pub mod policy;

use std::sync::Arc;
use std::time::Instant;

use rand::Rng;

use crate::admin::accounts::Accounts;
use crate::crypto::SecretKey;
use crate::methods::push::policy::PushPolicy;
use crate::model::audit::Source;
use crate::model::error::DomainError;
use crate::model::ids::new_id;
use crate::model::push::{Device, PushTransaction, TxStatus};
use crate::model::reason::Reason;
use crate::model::user::User;
use crate::ports::clock::Clock;
use crate::ports::PushNotifier;
use crate::ports::PushPorts;
use crate::signin::verifier::{Entry, Verifier};

#[derive(Clone)]
pub struct Push {
    pub(crate) store: Arc<dyn PushPorts>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) key: SecretKey,
    pub(crate) policy: PushPolicy,
    pub(crate) accounts: Accounts,
    pub(crate) verifier: Verifier,
    notifier: Arc<dyn PushNotifier>,
}

/// Where a sign-in comes from, as the sign-in page tells it.
#[derive(Debug, Clone, Default)]
pub struct PushContext {
    pub application: Option<String>,
    pub client_address: Option<String>,
    /// Turns number matching off for doors that cannot show a number before
    /// the push is answered (RADIUS holds); `None` follows the policy.
    pub number_matching: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushStart {
    Pending {
        transaction_id: String,
        number: Option<i64>,
    },
    Rejected(Reason),
}

/// What a device says about a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Approve,
    Deny,
    Fraud,
}

#[derive(Debug, thiserror::Error)]
pub enum AnswerError {
    #[error("no such sign-in request for this device")]
    NotFound,
    #[error("this sign-in request was already answered or has timed out")]
    AlreadyAnswered,
    #[error(transparent)]
    Domain(#[from] DomainError),
}

impl From<crate::StoreError> for AnswerError {
    fn from(e: crate::StoreError) -> Self {
        AnswerError::Domain(e.into())
    }
}

impl Push {
    pub fn new(
        store: Arc<dyn PushPorts>,
        clock: Arc<dyn Clock>,
        key: SecretKey,
        policy: PushPolicy,
        accounts: Accounts,
        verifier: Verifier,
        notifier: Arc<dyn PushNotifier>,
    ) -> Self {
        // The stored settings start as the configuration's push policy.
        verifier.settings().update(|s| {
            s.push_number_matching = policy.number_matching;
            s.push_pin_required = policy.pin_required;
            s.push_per_minute = policy.per_minute;
            s.push_per_hour = policy.per_hour;
            s.account_name = policy.account_name.clone();
        });
        Self {
            store,
            clock,
            key,
            policy,
            accounts,
            verifier,
            notifier,
        }
    }

    pub fn policy(&self) -> &PushPolicy {
        &self.policy
    }

    /// The stored settings (number matching, PIN, rate limits) as of now.
    pub(crate) fn live_settings(&self) -> crate::admin::settings::Settings {
        self.verifier.settings().get()
    }

    /// Sends a sign-in request to the user's devices, or refuses at once.
    pub async fn start(
        &self,
        username: &str,
        context: PushContext,
        source: &Source,
    ) -> Result<PushStart, DomainError> {
        let started = Instant::now();
        let user = self.store.user_by_name(username).await?;
        let checked = match &user {
            None => Err(Reason::UnknownUser),
            Some(u) => self.check(u).await?,
        };
        let (user, devices) = match (user, checked) {
            (Some(user), Ok(devices)) => (user, devices),
            (user, refusal) => {
                let reason = refusal.err().unwrap_or(Reason::UnknownUser);
                let entry = Entry {
                    username,
                    user: user.as_ref(),
                    method: "push",
                    token_id: None,
                    source,
                };
                self.verifier.record(entry, Some(reason), started).await?;
                return Ok(PushStart::Rejected(reason));
            }
        };
        let now = self.clock.now();
        let live = self.verifier.settings().get();
        let transaction = PushTransaction {
            id: new_id("txn"),
            user_id: user.id.clone(),
            username: user.username.clone(),
            number: context
                .number_matching
                .or(user.push_number_matching)
                .unwrap_or(live.push_number_matching)
                .then(|| rand::rngs::OsRng.gen_range(10..=99)),
            pin_required: user.push_pin_required.unwrap_or(live.push_pin_required),
            status: TxStatus::Pending,
            reason: None,
            application: context.application.map(|a| a.chars().take(128).collect()),
            client_address: context.client_address.map(|a| a.chars().take(64).collect()),
            api_key: source.client.clone(),
            created_at: now,
            expires_at: now + self.policy.timeout_seconds,
            decided_at: None,
            device_id: None,
        };
        self.store.insert_transaction(&transaction).await?;
        self.notifier.request_to(&transaction, &devices).await;
        tracing::info!(user = %user.username, transaction = %transaction.id, "push sent");
        Ok(PushStart::Pending {
            transaction_id: transaction.id,
            number: transaction.number,
        })
    }

    /// The user's devices when a push may go to them, else why not.
    async fn check(&self, user: &User) -> Result<Result<Vec<Device>, Reason>, DomainError> {
        let now = self.clock.now();
        if !user.enabled {
            return Ok(Err(Reason::UserDisabled));
        }
        if user.is_locked(now) {
            return Ok(Err(Reason::UserLockedOut));
        }
        let devices = self.store.devices_of_user(&user.id).await?;
        if devices.is_empty() {
            return Ok(Err(Reason::NoDevice));
        }
        let (last_minute, last_hour) = self
            .store
            .count_recent_transactions(&user.id, now - 60, now - 3600)
            .await?;
        let live = self.verifier.settings().get();
        if last_minute >= i64::from(live.push_per_minute)
            || last_hour >= i64::from(live.push_per_hour)
        {
            tracing::warn!(user = %user.username, last_minute, last_hour, "push rate limit reached (push bombing?)");
            return Ok(Err(Reason::PushRateLimited));
        }
        Ok(Ok(devices))
    }

    /// The transaction as it stands; a pending one past its time is decided as timed out.
    pub async fn status(&self, id: &str) -> Result<Option<PushTransaction>, DomainError> {
        let Some(transaction) = self.store.transaction(id).await? else {
            return Ok(None);
        };
        if transaction.status == TxStatus::Pending && transaction.expires_at <= self.clock.now() {
            if crate::model::push::is_call(id) {
                // The call's own end settles it; past its time it never will.
                let verdict = Some(Reason::CallUnanswered);
                self.decide_as(&transaction, verdict, "call", Some("expired".into()))
                    .await?;
            } else {
                self.decide(&transaction, Reason::PushTimeout.into(), None)
                    .await?;
            }
            return Ok(self.store.transaction(id).await?);
        }
        Ok(Some(transaction))
    }

    /// Applies a device's answer, once.
    pub async fn answer(
        &self,
        device: &Device,
        id: &str,
        answer: Answer,
        number: Option<i64>,
        pin_proof: Option<&str>,
    ) -> Result<Option<Reason>, AnswerError> {
        let transaction = self
            .status(id)
            .await?
            .filter(|t| t.user_id == device.user_id && !crate::model::push::is_call(&t.id))
            .ok_or(AnswerError::NotFound)?;
        if transaction.status != TxStatus::Pending {
            return Err(AnswerError::AlreadyAnswered);
        }
        let verdict = match answer {
            Answer::Deny => Some(Reason::PushDenied),
            Answer::Fraud => Some(Reason::FraudReported),
            Answer::Approve => self.check_approval(device, &transaction, number, pin_proof)?,
        };
        if !self
            .decide(&transaction, verdict.into(), Some(&device.id))
            .await?
        {
            return Err(AnswerError::AlreadyAnswered);
        }
        if verdict == Some(Reason::FraudReported) {
            self.on_fraud(&transaction).await?;
        }
        Ok(verdict)
    }

    fn check_approval(
        &self,
        device: &Device,
        transaction: &PushTransaction,
        number: Option<i64>,
        pin_proof: Option<&str>,
    ) -> Result<Option<Reason>, DomainError> {
        if transaction.number.is_some() && transaction.number != number {
            return Ok(Some(Reason::NumberMismatch));
        }
        if transaction.pin_required
            && !self.pin_proof_matches(device, &transaction.id, pin_proof)?
        {
            return Ok(Some(Reason::PinIncorrect));
        }
        Ok(None)
    }

    fn pin_proof_matches(
        &self,
        device: &Device,
        id: &str,
        proof: Option<&str>,
    ) -> Result<bool, DomainError> {
        use base64::Engine;
        let (Some(sealed), Some(proof)) = (&device.sealed_pin_key, proof) else {
            return Ok(false);
        };
        let pin_key = self.key.open("devices", &device.id, "pin_key", sealed)?;
        let expected =
            crate::crypto::hmac_sha256(&pin_key, format!("countersign-pin:{id}").as_bytes());
        let given = base64::engine::general_purpose::STANDARD
            .decode(proof.trim())
            .unwrap_or_default();
        Ok(subtle::ConstantTimeEq::ct_eq(expected.as_slice(), given.as_slice()).into())
    }

    /// Decides once (compare-and-set), then wakes the waiters and audits.
    /// The waiters go first: they read the decision, which is committed,
    /// and need not wait behind the audit write (or for it to fail).
    async fn decide(
        &self,
        transaction: &PushTransaction,
        verdict: Verdict,
        device_id: Option<&str>,
    ) -> Result<bool, DomainError> {
        self.decide_with(
            transaction,
            verdict.0,
            device_id,
            "push",
            device_id.map(str::to_string),
        )
        .await
    }

    /// [`Push::decide`] for a transaction of another method (a call), the
    /// audit record naming it and `credential` (a call's SIP status).
    pub(crate) async fn decide_as(
        &self,
        transaction: &PushTransaction,
        verdict: Option<Reason>,
        method: &str,
        credential: Option<String>,
    ) -> Result<bool, DomainError> {
        self.decide_with(transaction, verdict, None, method, credential)
            .await
    }

    async fn decide_with(
        &self,
        transaction: &PushTransaction,
        verdict: Option<Reason>,
        device_id: Option<&str>,
        method: &str,
        credential: Option<String>,
    ) -> Result<bool, DomainError> {
        let now = self.clock.now();
        let (status, reason) = match verdict {
            None => (TxStatus::Accepted, None),
            Some(r) => (TxStatus::Rejected, Some(r)),
        };
        let won = self
            .store
            .decide_transaction(
                &transaction.id,
                status,
                reason.map(|r| r.as_str()),
                device_id,
                now,
            )
            .await?;
        if won {
            self.notifier.decided(&transaction.id).await;
            let user = self.store.user_by_id(&transaction.user_id).await?;
            let source = Source {
                client: transaction.api_key.clone(),
                address: transaction.client_address.clone(),
                rule: None,
            };
            let entry = Entry {
                username: &transaction.username,
                user: user.as_ref(),
                method,
                token_id: credential,
                source: &source,
            };
            self.verifier.record(entry, reason, Instant::now()).await?;
        }
        Ok(won)
    }

    pub(crate) async fn on_fraud(&self, transaction: &PushTransaction) -> Result<(), DomainError> {
        tracing::warn!(user = %transaction.username, transaction = %transaction.id, "sign-in reported as fraud");
        if self.policy.fraud_blocks_user {
            self.accounts
                .set_enabled(&transaction.username, false)
                .await?;
            tracing::warn!(user = %transaction.username, "user blocked after a fraud report: re-enable with `countersign user enable`");
        }
        Ok(())
    }

    /// Removes expired nonces of signed requests; run on a timer (every
    /// node may: the delete is idempotent).
    pub async fn clean_nonces(&self) -> Result<u64, DomainError> {
        Ok(self.store.delete_expired_nonces(self.clock.now()).await?)
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    pub fn store(&self) -> &Arc<dyn PushPorts> {
        &self.store
    }
}

/// None: accepted; Some(reason): rejected.
struct Verdict(Option<Reason>);

impl From<Option<Reason>> for Verdict {
    fn from(r: Option<Reason>) -> Self {
        Verdict(r)
    }
}

impl From<Reason> for Verdict {
    fn from(r: Reason) -> Self {
        Verdict(Some(r))
    }
}
