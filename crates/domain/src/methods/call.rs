//! Phone call verification, shaped like push: `start` places the call
//! through the [`Telephone`] port and leaves a pending transaction (stored
//! with the pushes, id `cal_...`); the call's end settles it once, wakes the
//! waiters (RADIUS and LDAP holds, the API's wait) and writes the audit
//! record. The keys decide: `#` approves, the fraud code (`0#`) reports
//! fraud, the deny code (if set) refuses, and in PIN mode the user's PIN and
//! `#` is checked like a PIN before a code (argon2id on the hash lane).

use std::sync::Arc;
use std::time::Instant;

use crate::methods::push::{Push, PushContext};
use crate::methods::sends::SendGate;
use crate::model::audit::Source;
use crate::model::error::DomainError;
use crate::model::ids::new_id;
use crate::model::messages::MessageKind;
use crate::model::push::{PushTransaction, TxStatus};
use crate::model::reason::Reason;
use crate::model::user::User;
use crate::ports::voice::{CallEnd, CallOrder, Telephone};
use crate::signin::verifier::Entry;

/// Call transactions' ids start with this; pushes' with `txn_`.
pub use crate::model::push::{is_call, CALL_PREFIX as PREFIX};

/// The rules of a call (`[voice]` in the configuration).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallPolicy {
    /// How long the phone may ring (`voice.ring_seconds`).
    pub ring_seconds: i64,
    /// How long after the answer the keys may take (`voice.key_seconds`).
    pub key_seconds: i64,
    /// Users with a PIN enter it and `#` (`voice.pin_mode`).
    pub pin_mode: bool,
    /// The keys that report fraud (`voice.fraud_code`, `0#`); empty: none.
    pub fraud_code: String,
    /// The keys that deny the sign-in (`voice.deny_code`); empty: none.
    pub deny_code: String,
}

impl Default for CallPolicy {
    fn default() -> Self {
        Self {
            ring_seconds: 30,
            key_seconds: 30,
            pin_mode: true,
            fraud_code: "0#".into(),
            deny_code: String::new(),
        }
    }
}

impl CallPolicy {
    /// The longest a call's transaction can stay pending: ring, keys, and
    /// time to set the call up and hang up.
    pub fn timeout_seconds(&self) -> i64 {
        self.ring_seconds + self.key_seconds + 10
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallStart {
    Pending { transaction_id: String },
    Rejected(Reason),
}

/// Places calls and settles their transactions.
#[derive(Clone)]
pub struct Calls {
    push: Push,
    telephone: Arc<dyn Telephone>,
    policy: Arc<CallPolicy>,
    gate: Option<SendGate>,
}

impl Calls {
    /// `push` lends its transactions, waiters, audit and fraud settings
    /// (`push.fraud_blocks_user`); `gate` counts calls in the send limits.
    pub fn new(
        push: Push,
        telephone: Arc<dyn Telephone>,
        policy: CallPolicy,
        gate: Option<SendGate>,
    ) -> Self {
        Self {
            push,
            telephone,
            policy: Arc::new(policy),
            gate,
        }
    }

    pub fn policy(&self) -> &CallPolicy {
        &self.policy
    }

    /// Places a call to `user` (already found enabled and unlocked), or refuses at once.
    pub async fn start(
        &self,
        user: &User,
        context: &PushContext,
        source: &Source,
    ) -> Result<CallStart, DomainError> {
        let started = Instant::now();
        let Some(number) = user.call_number().map(str::to_string) else {
            return self.refuse(user, source, Reason::NoMethod, started).await;
        };
        if let Some(gate) = &self.gate {
            if gate
                .admit(&user.id, MessageKind::Sms, &number, "call")
                .await?
                .is_err()
            {
                let reason = Reason::CodeRateLimited;
                return self.refuse(user, source, reason, started).await;
            }
        }
        let now = self.push.clock.now();
        let pin_mode = self.policy.pin_mode && user.pin_hash.is_some();
        let transaction = PushTransaction {
            id: new_id("cal"),
            user_id: user.id.clone(),
            username: user.username.clone(),
            number: None,
            pin_required: pin_mode,
            status: TxStatus::Pending,
            reason: None,
            application: context
                .application
                .clone()
                .map(|a| a.chars().take(128).collect()),
            client_address: context
                .client_address
                .clone()
                .map(|a| a.chars().take(64).collect()),
            api_key: source.client.clone(),
            created_at: now,
            expires_at: now + self.policy.timeout_seconds(),
            decided_at: None,
            device_id: None,
        };
        self.push.store.insert_transaction(&transaction).await?;
        let order = CallOrder {
            transaction_id: transaction.id.clone(),
            username: user.username.clone(),
            number,
            language: user.language.clone(),
            pin_mode,
        };
        let call = self.telephone.place(order);
        let calls = self.clone();
        let id = transaction.id.clone();
        tokio::spawn(async move {
            let end = call.await;
            if let Err(e) = calls.settle(&id, end).await {
                tracing::error!(transaction = %id, error = %e, "a call ended but its sign-in could not be decided");
            }
        });
        tracing::info!(user = %user.username, transaction = %transaction.id, pin_mode, "call placed");
        Ok(CallStart::Pending {
            transaction_id: transaction.id,
        })
    }

    async fn refuse(
        &self,
        user: &User,
        source: &Source,
        reason: Reason,
        started: Instant,
    ) -> Result<CallStart, DomainError> {
        let entry = Entry {
            username: &user.username,
            user: Some(user),
            method: "call",
            token_id: None,
            source,
        };
        self.push
            .verifier
            .record(entry, Some(reason), started)
            .await?;
        Ok(CallStart::Rejected(reason))
    }

    /// Decides the call's transaction from how the call ended, once: a
    /// transaction already decided (expired) stays as it is. What it came to.
    pub async fn settle(&self, id: &str, end: CallEnd) -> Result<Option<Reason>, DomainError> {
        let Some(transaction) = self.push.store.transaction(id).await? else {
            return Ok(None);
        };
        if transaction.status != TxStatus::Pending || !is_call(id) {
            return Ok(None);
        }
        let (verdict, credential) = match end {
            CallEnd::Keys(keys) => (self.judge(&transaction, &keys).await?, None),
            CallEnd::NoKey => (Some(Reason::CallUnanswered), Some("no_key".to_string())),
            CallEnd::Unanswered => (Some(Reason::CallUnanswered), None),
            CallEnd::Busy => (Some(Reason::CallBusy), Some("busy".to_string())),
            CallEnd::Declined => (Some(Reason::CallBusy), Some("declined".to_string())),
            CallEnd::Failed { status, reason } => {
                tracing::warn!(user = %transaction.username, transaction = %id, status, %reason, "the call could not be placed");
                let detail = status.map_or_else(|| "sip:none".to_string(), |s| format!("sip:{s}"));
                (Some(Reason::CallFailed), Some(detail))
            }
        };
        if verdict == Some(Reason::FraudReported) {
            // Blocked before the waiters wake: the next sign-in already finds the user blocked.
            self.push.on_fraud(&transaction).await?;
        }
        self.push
            .decide_as(&transaction, verdict, "call", credential)
            .await?;
        Ok(verdict)
    }

    /// What the keys pressed mean: `None` approves.
    async fn judge(
        &self,
        transaction: &PushTransaction,
        keys: &str,
    ) -> Result<Option<Reason>, DomainError> {
        let p = &self.policy;
        if !p.fraud_code.is_empty() && keys == p.fraud_code {
            return Ok(Some(Reason::FraudReported));
        }
        if !p.deny_code.is_empty() && keys == p.deny_code {
            return Ok(Some(Reason::CallDenied));
        }
        if !transaction.pin_required {
            return Ok((keys != "#").then_some(Reason::CallDenied));
        }
        let user = self.push.store.user_by_id(&transaction.user_id).await?;
        let stored = user.and_then(|u| u.pin_hash);
        let (Some(stored), Some(pin)) = (stored, keys.strip_suffix('#')) else {
            return Ok(Some(Reason::PinIncorrect));
        };
        let matches = !pin.is_empty() && self.push.verifier.pin_matches(pin, &stored).await?;
        Ok((!matches).then_some(Reason::PinIncorrect))
    }
}
