//! The domain of Countersign: users, their tokens, API keys, the audit
//! trail and the one decision engine every door calls, the [`Verifier`].
//!
//! The domain does no I/O of its own: storage and time come in through the
//! ports ([`Store`], [`Clock`]), so it is tested with fixed clocks and real
//! stores alike.

pub mod admin;
pub mod crypto;
pub mod health;
pub mod methods;
pub mod metrics;
pub mod model;
pub mod portal;
pub mod ports;
pub mod rules;
pub mod sessions;
pub mod signin;
pub mod sso;
pub mod sync;
pub mod throttle;

pub use admin::accounts::{Accounts, Enrolment, TokenSpec};
pub use admin::apikeys::ApiKeys;
pub use crypto::SecretKey;
pub use metrics::VerifyMetrics;
pub use model::apikey::{ApiKey, Scope};
pub use model::audit::{AuditQuery, AuditRecord, Source};
pub use model::error::{DomainError, StoreError};
pub use model::reason::Reason;
pub use model::token::{StoredToken, Token};
pub use model::user::{NewUser, User, UserPatch, UserQuery};
pub use ports::clock::{Clock, FixedClock, SystemClock};
pub use ports::{
    ApiKeyStore, AuditStore, CodeStore, MetaStore, OutboxStore, PushStore, RadiusStore, Store,
    TokenStore, UserStore,
};
pub use signin::verifier::{Entry, Outcome, Verification, Verifier, VerifyPolicy};
pub use signin::{Attempt, DoorRules, Method, SignIn, SignInPolicy, Step};
