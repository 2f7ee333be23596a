//! The `/device/v1` protocol, defined once for both ends: the server
//! (`countersign-domain`, `countersign-web`), the reference authenticator
//! and, by docs/device-api.md, the web app's JavaScript
//! (`crates/web/assets/app/device.js`).
//!
//! - [`signing`]: the canonical text a device signs, the header names, the
//!   clock window and the nonce rule.
//! - [`types`]: the JSON bodies (field names are the wire's; clients rely on them).
//!
//! Pure: no I/O, no clock, no keys. Callers bring the time and do the
//! ECDSA (ring on the Rust side, WebCrypto in the browser).

pub mod signing;
pub mod types;

pub use signing::{
    body_hash_hex, canonical_string, nonce_well_formed, timestamp_fresh, CLOCK_WINDOW_SECS,
    HEADER_DEVICE, HEADER_NONCE, HEADER_SIGNATURE, HEADER_TIMESTAMP, SIGNED_HEADERS,
};
pub use types::{
    ActivateBody, Activated, Answer, AnswerBody, AnswerResult, ErrorBody, ErrorDetail, OathSeed,
    PendingList, SignInRequest, UnknownAnswer, WebPushKey, WebPushKeys, WebPushSubscription,
};
