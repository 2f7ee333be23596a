//! Send limits for every code that costs a message: sign-in codes by SMS
//! and email, two-way SMS, and the portal's codes confirming a new phone or
//! address. Per user, per destination and for the whole server, counted in
//! the store so every node shares them; SMS only to the country prefixes
//! the operator allows. Against SMS pumping (toll fraud) and mail floods.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use crate::metrics::{LabelledCounter, MetricsSource};
use crate::model::error::DomainError;
use crate::model::ids::new_id;
use crate::model::messages::{MessageKind, SendCounts, SendRecord};
use crate::ports::clock::Clock;
use crate::ports::SendStore;

/// The window every limit counts over.
pub const WINDOW_SECONDS: i64 = 3600;

/// `[codes]` in the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendPolicy {
    /// Codes one user may be sent per hour, on every path (`codes.per_hour`).
    pub per_user: i64,
    /// Codes one phone number or address may receive per hour.
    pub per_destination: i64,
    /// Codes the whole server may send per hour.
    pub global: i64,
    /// Phone prefixes texts may go to (`+44`, `+1`); empty: every country.
    pub allowed_prefixes: Vec<String>,
}

impl Default for SendPolicy {
    fn default() -> Self {
        Self {
            per_user: 10,
            per_destination: 5,
            global: 1000,
            allowed_prefixes: Vec::new(),
        }
    }
}

/// Why a send was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendRefused {
    User,
    Destination,
    Global,
    Country,
}

impl SendRefused {
    pub fn as_str(self) -> &'static str {
        match self {
            SendRefused::User => "per_user",
            SendRefused::Destination => "per_destination",
            SendRefused::Global => "global",
            SendRefused::Country => "country",
        }
    }

    /// What the person is told (no limit's size: nothing to tune a flood by).
    pub fn message(self) -> &'static str {
        match self {
            SendRefused::Country => {
                "texts cannot be sent to this country; use another number or ask your IT support"
            }
            _ => "too many codes were sent recently; wait a while and try again",
        }
    }
}

const LABELS: &[&str] = &["per_user", "per_destination", "global", "country"];

/// Refused sends by limit, for `/metrics`.
#[derive(Debug)]
pub struct SendMetrics {
    refused: LabelledCounter,
    /// The second of the last refusal logged: one line a second at most.
    logged_at: AtomicI64,
}

impl Default for SendMetrics {
    fn default() -> Self {
        Self {
            refused: LabelledCounter::new(LABELS),
            logged_at: AtomicI64::new(i64::MIN),
        }
    }
}

impl SendMetrics {
    pub fn refused(&self, why: SendRefused) -> u64 {
        self.refused.get(why.as_str())
    }
}

impl MetricsSource for SendMetrics {
    fn render(&self, out: &mut String) {
        self.refused.render(
            "countersign_code_sends_refused_total",
            "limit",
            "Codes not sent because a send limit or the country allow-list refused them.",
            out,
        );
    }
}

/// The one gate every code-sending path asks before queueing a message.
#[derive(Clone)]
pub struct SendGate {
    store: Arc<dyn SendStore>,
    clock: Arc<dyn Clock>,
    policy: Arc<SendPolicy>,
    metrics: Arc<SendMetrics>,
}

impl SendGate {
    pub fn new(store: Arc<dyn SendStore>, clock: Arc<dyn Clock>, policy: SendPolicy) -> Self {
        Self {
            store,
            clock,
            policy: Arc::new(policy),
            metrics: Arc::default(),
        }
    }

    pub fn policy(&self) -> &SendPolicy {
        &self.policy
    }

    pub fn metrics(&self) -> Arc<SendMetrics> {
        self.metrics.clone()
    }

    /// Counts one send of `purpose` to `destination` for `user_id`, or says
    /// which limit refuses it (counted in the metrics and logged).
    pub async fn admit(
        &self,
        user_id: &str,
        kind: MessageKind,
        destination: &str,
        purpose: &str,
    ) -> Result<Result<(), SendRefused>, DomainError> {
        if kind == MessageKind::Sms && !self.country_allowed(destination) {
            return Ok(Err(self.refuse(SendRefused::Country, user_id, purpose)));
        }
        let now = self.clock.now();
        let record = SendRecord {
            id: new_id("snd"),
            user_id: Some(user_id.to_string()),
            destination: destination.trim().to_lowercase(),
            kind,
            purpose: purpose.to_string(),
            at: now,
        };
        let counts = self
            .store
            .record_send(&record, now - WINDOW_SECONDS)
            .await?;
        let Some(why) = self.over(counts) else {
            return Ok(Ok(()));
        };
        self.store.forget_send(&record.id).await?;
        Ok(Err(self.refuse(why, user_id, purpose)))
    }

    fn over(&self, counts: SendCounts) -> Option<SendRefused> {
        let p = &self.policy;
        if counts.global > p.global {
            Some(SendRefused::Global)
        } else if counts.destination > p.per_destination {
            Some(SendRefused::Destination)
        } else if counts.user > p.per_user {
            Some(SendRefused::User)
        } else {
            None
        }
    }

    /// Whether texts may go to `phone` (E.164) under the allow-list.
    pub fn country_allowed(&self, phone: &str) -> bool {
        let phone = phone.trim();
        self.policy.allowed_prefixes.is_empty()
            || self
                .policy
                .allowed_prefixes
                .iter()
                .any(|prefix| phone.starts_with(prefix.as_str()))
    }

    fn refuse(&self, why: SendRefused, user_id: &str, purpose: &str) -> SendRefused {
        self.metrics.refused.add(why.as_str());
        // One line a second at most, however hard a flood pushes; the
        // metric counts every refusal. The destination is not logged.
        let now = self.clock.now();
        if self.metrics.logged_at.swap(now, Ordering::Relaxed) != now {
            tracing::warn!(user_id = %user_id, purpose = %purpose, limit = why.as_str(),
                "a code was not sent: a send limit refused it (codes.* settings; countersign_code_sends_refused_total counts them all)");
        }
        why
    }
}
