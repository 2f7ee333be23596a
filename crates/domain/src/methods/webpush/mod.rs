//! Web Push (RFC 8030) to the authenticator web app, with the server's own
//! VAPID key (RFC 8292) and end-to-end encrypted messages (RFC 8291): no
//! account with any vendor, nothing readable by the push service. The
//! domain makes and keeps subscriptions and builds each message; the
//! server posts them (`crates/server/src/webpush/`).

mod ece;
pub mod endpoint;
mod service;
mod vapid;

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
