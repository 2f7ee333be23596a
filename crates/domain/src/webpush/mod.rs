//! Web Push (RFC 8030) to the authenticator web app, with the server's own
//! VAPID key (RFC 8292) and end-to-end encrypted messages (RFC 8291): no
//! account with any vendor, nothing readable by the push service. The
//! domain makes and keeps subscriptions and builds each message; the
//! server posts them (`crates/server/src/webpush/`).

mod ece;
mod service;
mod vapid;

use async_trait::async_trait;

use crate::store::StoreResult;

pub use ece::{encrypt, Receiver, MAX_PLAINTEXT};
pub use service::{Message, SubscriptionInput, Target, WebPush, WebPushPolicy};
pub use vapid::{audience, VapidKey, JWT_LIFETIME};

#[derive(Debug, thiserror::Error)]
pub enum WebPushError {
    #[error("the push subscription is not usable: {0}")]
    BadSubscription(&'static str),
    #[error("the push message is {0} bytes, more than one record holds")]
    TooLarge(usize),
    #[error("Web Push cryptography failed ({0})")]
    Crypto(&'static str),
    #[error(transparent)]
    Domain(#[from] crate::DomainError),
}

impl From<crate::StoreError> for WebPushError {
    fn from(e: crate::StoreError) -> Self {
        WebPushError::Domain(e.into())
    }
}

/// A device's subscription as stored: the endpoint and keys are sealed
/// together (`webpush_subscriptions.<device_id>.subscription`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSubscription {
    pub device_id: String,
    pub user_id: String,
    pub sealed: Vec<u8>,
    pub created_at: i64,
    /// The outcome of the last push to it (`delivered`, `retried`, `gone`, `failed`, `rejected`).
    pub last_result: Option<String>,
    pub last_result_at: Option<i64>,
}

/// Subscriptions of the web app's devices (migration 0012).
#[async_trait]
pub trait WebPushStore: Send + Sync {
    /// Inserts or replaces the device's one subscription.
    async fn put_subscription(&self, subscription: &StoredSubscription) -> StoreResult<()>;
    async fn delete_subscription(&self, device_id: &str) -> StoreResult<bool>;
    async fn subscriptions_of_user(&self, user_id: &str) -> StoreResult<Vec<StoredSubscription>>;
    async fn record_push_result(&self, device_id: &str, result: &str, at: i64) -> StoreResult<()>;
}
