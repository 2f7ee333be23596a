//! The domain of Countersign: users, their tokens, API keys, the audit
//! trail and the one decision engine every door calls, the [`Verifier`].
//!
//! The domain does no I/O of its own: storage and time come in through the
//! ports ([`Store`], [`Clock`]), so it is tested with fixed clocks and real
//! stores alike.

pub mod accounts;
pub mod activation;
pub mod admin;
pub mod apikey;
pub mod apikey_cache;
pub mod audit;
pub mod backup;
pub mod clock;
pub mod codes;
pub mod console;
pub mod crypto;
pub mod decision;
pub mod device_auth;
pub mod diagnostics;
pub mod directory;
pub mod error;
pub mod ids;
pub mod matching;
pub mod messages;
pub mod metrics;
pub mod net;
pub mod outbox;
pub mod pin;
pub mod pool;
pub mod portal;
pub mod push;
pub mod push_policy;
pub mod push_service;
pub mod radius;
pub mod radius_clients;
pub mod reason;
pub mod settings;
pub mod signin;
pub mod sms_reply;
pub mod store;
pub mod token;
pub mod token_spec;
pub mod user;
pub mod user_import;
pub mod verifier;
pub mod webpush;
pub mod welcome;

pub use accounts::{Accounts, Enrolment, TokenSpec};
pub use apikey::{ApiKey, ApiKeys, Scope};
pub use audit::{AuditQuery, AuditRecord, Source};
pub use clock::{Clock, FixedClock, SystemClock};
pub use crypto::SecretKey;
pub use error::{DomainError, StoreError};
pub use metrics::VerifyMetrics;
pub use reason::Reason;
pub use signin::{Attempt, DoorRules, Method, SignIn, SignInPolicy, Step};
pub use store::{
    ApiKeyStore, AuditStore, CodeStore, MetaStore, OutboxStore, PushStore, RadiusStore, Store,
    TokenStore, UserStore,
};
pub use token::{StoredToken, Token};
pub use user::{NewUser, User, UserPatch, UserQuery};
pub use verifier::{Entry, Outcome, Verification, Verifier, VerifyPolicy};
