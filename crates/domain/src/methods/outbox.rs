//! The outbox: every message is queued in the store, sent with retries
//! and backoff, and ends `sent` or `failed` with the error in words. One
//! failing message never blocks the others; nothing is lost on restart.

use std::sync::Arc;

use crate::crypto::SecretKey;
use crate::metrics::{LabelledCounter, MetricsSource};
use crate::model::error::DomainError;
use crate::model::ids::new_id;
use crate::model::messages::{Delivery, MessageContent, MessageKind, MessageStatus, OutboxMessage};
use crate::ports::clock::Clock;
use crate::ports::Messenger;
use crate::ports::OutboxStore;

/// Attempts before a message is given up as failed.
pub const MAX_ATTEMPTS: i64 = 12;
/// Seconds a claimed message is reserved for the node sending it.
const LEASE: i64 = 120;

#[derive(Clone)]
pub struct Outbox {
    store: Arc<dyn OutboxStore>,
    clock: Arc<dyn Clock>,
    key: SecretKey,
    messenger: Arc<dyn Messenger>,
    metrics: Arc<OutboxMetrics>,
}

/// Deliveries by kind and result, for `/metrics`.
#[derive(Debug)]
pub struct OutboxMetrics {
    email: LabelledCounter,
    sms: LabelledCounter,
}

impl Default for OutboxMetrics {
    fn default() -> Self {
        let results: &'static [&'static str] = &["queued", "sent", "retry", "failed"];
        Self {
            email: LabelledCounter::new(results),
            sms: LabelledCounter::new(results),
        }
    }
}

impl OutboxMetrics {
    fn count(&self, kind: MessageKind, result: &str) {
        match kind {
            MessageKind::Email => self.email.add(result),
            MessageKind::Sms => self.sms.add(result),
        }
    }
}

impl MetricsSource for OutboxMetrics {
    fn render(&self, out: &mut String) {
        self.email.render(
            "countersign_email_messages_total",
            "result",
            "Emails queued, sent, waiting to retry and failed.",
            out,
        );
        self.sms.render(
            "countersign_sms_messages_total",
            "result",
            "Texts queued, sent, waiting to retry and failed.",
            out,
        );
    }
}

/// The wait before attempt `n + 1`: 10 s, 30 s, 90 s, ... at most an hour.
pub fn backoff(attempts: i64) -> i64 {
    let exponent = attempts.clamp(1, 8) as u32 - 1;
    (10 * 3i64.pow(exponent)).min(3600)
}

impl Outbox {
    pub fn new(
        store: Arc<dyn OutboxStore>,
        clock: Arc<dyn Clock>,
        key: SecretKey,
        messenger: Arc<dyn Messenger>,
    ) -> Self {
        Self {
            store,
            clock,
            key,
            messenger,
            metrics: Arc::default(),
        }
    }

    /// Counts for `/metrics`.
    pub fn metrics(&self) -> Arc<OutboxMetrics> {
        self.metrics.clone()
    }

    pub async fn enqueue(
        &self,
        kind: MessageKind,
        purpose: &str,
        recipient: &str,
        content: &MessageContent,
    ) -> Result<String, DomainError> {
        let message = self.seal(kind, purpose, recipient, content)?;
        self.store.insert_message(&message).await?;
        self.queued(&message);
        Ok(message.id)
    }

    /// A queued message, sealed, not yet stored (the caller inserts it,
    /// then calls [`Outbox::queued`]).
    pub fn seal(
        &self,
        kind: MessageKind,
        purpose: &str,
        recipient: &str,
        content: &MessageContent,
    ) -> Result<OutboxMessage, DomainError> {
        let id = new_id("msg");
        let plain = serde_json::to_vec(content)
            .map_err(|e| DomainError::invalid("message", e.to_string()))?;
        let now = self.clock.now();
        Ok(OutboxMessage {
            sealed: self.key.seal("messages", &id, "content", &plain),
            id,
            kind,
            purpose: purpose.to_string(),
            recipient: recipient.to_string(),
            status: MessageStatus::Queued,
            attempts: 0,
            next_attempt_at: now,
            last_error: None,
            created_at: now,
            sent_at: None,
        })
    }

    /// Counts and logs a message once it is stored.
    pub fn queued(&self, message: &OutboxMessage) {
        self.metrics.count(message.kind, "queued");
        tracing::info!(message = %message.id, kind = message.kind.as_str(), purpose = %message.purpose, "message queued");
    }

    /// Sends what is due; returns how many were attempted.
    pub async fn run_due(&self, limit: i64) -> Result<usize, DomainError> {
        let now = self.clock.now();
        let due = self.store.claim_messages(now, now + LEASE, limit).await?;
        for message in &due {
            let delivery = self.attempt(message).await;
            let result = match &delivery {
                Delivery::Sent { .. } => "sent",
                Delivery::Retry { .. } => "retry",
                Delivery::Failed { .. } => "failed",
            };
            self.metrics.count(message.kind, result);
            self.store.finish_message(&message.id, &delivery).await?;
        }
        Ok(due.len())
    }

    async fn attempt(&self, message: &OutboxMessage) -> Delivery {
        let attempts = message.attempts + 1;
        let content = self
            .key
            .open("messages", &message.id, "content", &message.sealed)
            .ok()
            .and_then(|plain| serde_json::from_slice::<MessageContent>(&plain).ok());
        let Some(content) = content else {
            return Delivery::Failed {
                attempts,
                error: "the message cannot be decrypted: the encryption key changed".into(),
            };
        };
        match self
            .messenger
            .send(message.kind, &message.recipient, &content)
            .await
        {
            Ok(()) => {
                tracing::info!(message = %message.id, kind = message.kind.as_str(), "message sent");
                Delivery::Sent {
                    at: self.clock.now(),
                }
            }
            Err(failure) if failure.permanent || attempts >= MAX_ATTEMPTS => {
                tracing::error!(message = %message.id, attempts, error = %failure.error, "message failed and will not be retried");
                Delivery::Failed {
                    attempts,
                    error: failure.error,
                }
            }
            Err(failure) => {
                let next_at = self.clock.now() + backoff(attempts);
                tracing::warn!(message = %message.id, attempts, error = %failure.error, "message not sent yet; will retry");
                Delivery::Retry {
                    attempts,
                    next_at,
                    error: failure.error,
                }
            }
        }
    }

    pub async fn list(
        &self,
        status: Option<MessageStatus>,
        limit: i64,
    ) -> Result<Vec<OutboxMessage>, DomainError> {
        Ok(self.store.list_messages(status, limit).await?)
    }

    /// Queues a failed (or waiting) message again, now.
    pub async fn retry(&self, id: &str) -> Result<(), DomainError> {
        if self.store.requeue_message(id, self.clock.now()).await? {
            Ok(())
        } else {
            Err(DomainError::not_found("message", id))
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn backoff_grows_to_an_hour() {
        assert_eq!(super::backoff(1), 10);
        assert_eq!(super::backoff(2), 30);
        assert_eq!(super::backoff(3), 90);
        assert_eq!(super::backoff(12), 3600);
    }
}
