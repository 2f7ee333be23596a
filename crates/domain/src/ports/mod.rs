//! The ports: one small trait per concern that the services need from the
//! outside world. Storage adapters (SQLite, PostgreSQL in `countersign-store`)
//! implement the store ports; the conformance suite there holds every adapter
//! to the same behaviour. Nothing here imports a service.

pub mod admins;
pub mod apikeys;
pub mod audit;
pub mod bundles;
pub mod clock;
pub mod codes;
pub mod decision;
pub mod diagnostics;
pub mod directory;
pub mod groups;
pub mod messaging;
pub mod meta;
pub mod notify;
pub mod oidc;
pub mod outbox;
pub mod passkeys;
pub mod pool;
pub mod portal;
pub mod push;
pub mod radius;
pub mod remembered;
pub mod sends;
pub mod sessions;
pub mod signals;
pub mod tokens;
pub mod users;
pub mod voice;
pub mod webpush;
pub mod welcome;

use crate::model::error::StoreError;

pub use crate::model::user::FailureState;
pub use admins::AdminStore;
pub use apikeys::ApiKeyStore;
pub use audit::{AuditStore, AuditTap};
pub use bundles::{
    AccountsPorts, CodesPorts, DirectorySyncPorts, GroupsPorts, OidcPorts, PasskeysPorts,
    PortalPorts, PushPorts, SessionsPorts, SignInPorts, VerifierPorts, WebPushPorts, WelcomePorts,
};
pub use codes::CodeStore;
pub use decision::DecisionStore;
pub use directory::{DirectoryStore, SyncTrigger};
pub use groups::GroupStore;
pub use messaging::{Composer, Messenger};
pub use meta::MetaStore;
pub use notify::PushNotifier;
pub use oidc::OidcStore;
pub use outbox::OutboxStore;
pub use passkeys::PasskeyStore;
pub use pool::PoolStore;
pub use portal::PortalStore;
pub use push::PushStore;
pub use radius::RadiusStore;
pub use remembered::RememberedStore;
pub use sends::SendStore;
pub use sessions::SessionStore;
pub use signals::Signals;
pub use tokens::TokenStore;
pub use users::UserStore;
pub use voice::{CallEnd, CallOrder, Telephone};
pub use webpush::WebPushStore;
pub use welcome::WelcomeStore;

pub type StoreResult<T> = Result<T, StoreError>;

/// Every store port at once: what a storage adapter implements, and what
/// the composition root holds. Services take only the ports they use (or a
/// small bundle of them, declared next to the service) — at most the
/// composition root and the backup/diagnostics code see the whole store.
pub trait Store:
    UserStore
    + TokenStore
    + ApiKeyStore
    + AuditStore
    + RadiusStore
    + PushStore
    + CodeStore
    + OutboxStore
    + MetaStore
    + AdminStore
    + WebPushStore
    + SessionStore
    + SendStore
    + PortalStore
    + DirectoryStore
    + GroupStore
    + WelcomeStore
    + PoolStore
    + DecisionStore
    + PasskeyStore
    + OidcStore
    + RememberedStore
    + PasskeysPorts
    + OidcPorts
    + AccountsPorts
    + VerifierPorts
    + SignInPorts
    + CodesPorts
    + PushPorts
    + WebPushPorts
    + DirectorySyncPorts
    + GroupsPorts
    + WelcomePorts
    + SessionsPorts
    + PortalPorts
    + Send
    + Sync
{
    /// Which database this is, for logs and diagnostics (`sqlite`, `postgres`).
    fn backend(&self) -> &'static str;
}
