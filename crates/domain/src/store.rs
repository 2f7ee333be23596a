//! The storage port. Adapters (SQLite, PostgreSQL) implement it; the
//! conformance suite in `countersign-store` holds every adapter to the same
//! behaviour.

use async_trait::async_trait;

use crate::admin::AdminStore;
use crate::apikey::ApiKey;
use crate::audit::{AuditQuery, AuditRecord};
use crate::codes::CodeChallenge;
use crate::decision::DecisionStore;
use crate::error::StoreError;
use crate::messages::{Delivery, MessageStatus, OutboxMessage};
use crate::push::{Activation, Device, PushTransaction, TxStatus};
use crate::radius::{Challenge, StoredRadiusClient};
use crate::token::StoredToken;
use crate::user::{User, UserQuery};

pub type StoreResult<T> = Result<T, StoreError>;

/// The user's failure count and lock after a failed verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailureState {
    pub failed_attempts: i64,
    pub locked_until: Option<i64>,
}

/// Users, their failure count and lock. Usernames are unique ignoring case.
#[async_trait]
pub trait UserStore: Send + Sync {
    async fn insert_user(&self, user: &User) -> StoreResult<()>;
    async fn user_by_name(&self, username: &str) -> StoreResult<Option<User>>;
    async fn user_by_id(&self, id: &str) -> StoreResult<Option<User>>;
    /// The user and their tokens in one read (the verification hot path).
    async fn user_with_tokens(
        &self,
        username: &str,
    ) -> StoreResult<Option<(User, Vec<StoredToken>)>>;
    /// Records the first welcome email (no-op when already welcomed).
    async fn mark_welcomed(&self, user_id: &str, now: i64) -> StoreResult<()>;
    /// The user's PIN as an argon2id hash (PHC string); `None` removes it.
    async fn set_pin(&self, user_id: &str, pin_hash: Option<&str>) -> StoreResult<()>;
    async fn pin_hash(&self, user_id: &str) -> StoreResult<Option<String>>;
    async fn list_users(&self, query: &UserQuery) -> StoreResult<Vec<User>>;
    /// Writes the profile fields (display name, email, phone, enabled, updated_at).
    async fn update_user(&self, user: &User) -> StoreResult<()>;
    /// Removes the user and their tokens; false when there was no such user.
    async fn delete_user(&self, user_id: &str) -> StoreResult<bool>;

    /// Atomically counts one more failure and locks the user for
    /// `lock_seconds` when the count reaches `threshold`.
    async fn record_failure(
        &self,
        user_id: &str,
        now: i64,
        threshold: i64,
        lock_seconds: i64,
    ) -> StoreResult<FailureState>;
    /// Clears the failure count and any lock (after a success or by an admin).
    async fn clear_failures(&self, user_id: &str) -> StoreResult<()>;

    /// Grants a one-time bypass until `(until, reason)`, or withdraws it.
    async fn set_bypass(&self, user_id: &str, bypass: Option<(i64, &str)>) -> StoreResult<bool>;
    /// Uses the bypass if it is still open at `now`; true for the one caller that got it.
    async fn take_bypass(&self, user_id: &str, now: i64) -> StoreResult<bool>;

    /// Users with this phone number (E.164), for inbound SMS.
    async fn users_by_phone(&self, phone: &str) -> StoreResult<Vec<User>>;
}

/// OATH tokens, and the compare-and-set that makes a code single-use.
#[async_trait]
pub trait TokenStore: Send + Sync {
    async fn insert_token(&self, token: &StoredToken) -> StoreResult<()>;
    async fn tokens_of_user(&self, user_id: &str) -> StoreResult<Vec<StoredToken>>;
    async fn delete_token(&self, user_id: &str, token_id: &str) -> StoreResult<bool>;
    /// Compare-and-set: records `used` (time step or counter) as the last
    /// accepted one only if it is later than the stored one. True when this
    /// call won; false when that value (or a later one) was already used.
    async fn advance_token(
        &self,
        token_id: &str,
        used: i64,
        drift: i64,
        now: i64,
    ) -> StoreResult<bool>;
    /// Sets the HOTP counter after a resynchronisation, unconditionally.
    async fn reset_token_counter(&self, token_id: &str, last_used: i64) -> StoreResult<()>;
}

/// API keys. Names are unique.
#[async_trait]
pub trait ApiKeyStore: Send + Sync {
    async fn insert_api_key(&self, key: &ApiKey) -> StoreResult<()>;
    async fn api_key_by_prefix(&self, prefix: &str) -> StoreResult<Option<ApiKey>>;
    async fn list_api_keys(&self) -> StoreResult<Vec<ApiKey>>;
    /// Marks the live key of that name revoked; false when there was none.
    async fn revoke_api_key(&self, name: &str, now: i64) -> StoreResult<bool>;
    /// Records when the key was last used.
    async fn touch_api_key(&self, id: &str, now: i64) -> StoreResult<()>;
}

/// The audit trail.
#[async_trait]
pub trait AuditStore: Send + Sync {
    async fn append_audit(&self, record: &AuditRecord) -> StoreResult<()>;
    async fn query_audit(&self, query: &AuditQuery) -> StoreResult<Vec<AuditRecord>>;
    /// Like `query_audit`, each record with its position for the next page.
    async fn audit_page(&self, query: &AuditQuery) -> StoreResult<Vec<(i64, AuditRecord)>>;
    /// Records since `since` counted by hour, result and reason (the dashboard).
    async fn audit_counts(&self, since: i64) -> StoreResult<Vec<crate::audit::AuditCount>>;
}

/// RADIUS clients (names are unique) and pending challenges.
#[async_trait]
pub trait RadiusStore: Send + Sync {
    async fn insert_radius_client(&self, client: &StoredRadiusClient) -> StoreResult<()>;
    async fn list_radius_clients(&self) -> StoreResult<Vec<StoredRadiusClient>>;
    async fn delete_radius_client(&self, name: &str) -> StoreResult<bool>;
    /// Rewrites the client with this id (every field but id and name).
    async fn update_radius_client(&self, client: &StoredRadiusClient) -> StoreResult<()>;
    async fn insert_challenge(&self, challenge: &Challenge) -> StoreResult<()>;
    /// Removes and returns the challenge if it exists and has not expired:
    /// a State is answered at most once.
    async fn take_challenge(&self, state: &str, now: i64) -> StoreResult<Option<Challenge>>;
    /// Dropped requests per client and cause whose latest drop is at or after `since`.
    async fn recent_radius_drops(&self, since: i64) -> StoreResult<Vec<crate::radius::DropCount>>;
}

/// Push approval: activations (single use, counted failures), devices and the nonces of their signed requests, push transactions.
#[async_trait]
pub trait PushStore: Send + Sync {
    async fn insert_activation(&self, activation: &Activation) -> StoreResult<()>;
    async fn activation_by_lookup(&self, lookup: &str) -> StoreResult<Option<Activation>>;
    /// Counts a wrong code; returns the attempts so far.
    async fn count_activation_failure(&self, id: &str) -> StoreResult<i64>;
    /// Compare-and-set: marks it used if unused, unexpired and under `max_attempts`.
    async fn use_activation(&self, id: &str, now: i64, max_attempts: i64) -> StoreResult<bool>;

    // Devices and the nonces of their signed requests.
    async fn insert_device(&self, device: &Device) -> StoreResult<()>;
    async fn devices_of_user(&self, user_id: &str) -> StoreResult<Vec<Device>>;
    async fn device(&self, id: &str) -> StoreResult<Option<Device>>;
    async fn delete_device(&self, user_id: &str, id: &str) -> StoreResult<bool>;
    /// Records a nonce; false when this device already used it. Expired
    /// nonces are not removed here but by [`PushStore::delete_expired_nonces`].
    async fn use_nonce(
        &self,
        device_id: &str,
        nonce: &str,
        expires_at: i64,
        now: i64,
    ) -> StoreResult<bool>;
    /// Removes the nonces expired at `now` (a periodic task); how many.
    async fn delete_expired_nonces(&self, now: i64) -> StoreResult<u64>;

    // Push transactions.
    async fn insert_transaction(&self, transaction: &PushTransaction) -> StoreResult<()>;
    async fn transaction(&self, id: &str) -> StoreResult<Option<PushTransaction>>;
    /// Compare-and-set from pending: true for the one call that decides it.
    async fn decide_transaction(
        &self,
        id: &str,
        status: TxStatus,
        reason: Option<&str>,
        device_id: Option<&str>,
        now: i64,
    ) -> StoreResult<bool>;
    async fn count_transactions_since(&self, user_id: &str, since: i64) -> StoreResult<i64>;
    /// A user's pushes created since `minute_since` and since `hour_since`,
    /// in one query (the two rate limits).
    async fn count_recent_transactions(
        &self,
        user_id: &str,
        minute_since: i64,
        hour_since: i64,
    ) -> StoreResult<(i64, i64)>;
    async fn pending_transactions(
        &self,
        user_id: &str,
        now: i64,
    ) -> StoreResult<Vec<PushTransaction>>;
    /// Tells every node (PostgreSQL NOTIFY); nothing to do on SQLite, where there is one node.
    async fn notify(&self, payload: &str) -> StoreResult<()>;
}

/// Codes sent by SMS or email.
#[async_trait]
pub trait CodeStore: Send + Sync {
    async fn insert_code_challenge(&self, challenge: &CodeChallenge) -> StoreResult<()>;
    async fn code_challenge(&self, id: &str) -> StoreResult<Option<CodeChallenge>>;
    /// Counts a wrong code; returns the attempts so far.
    async fn count_code_attempt(&self, id: &str) -> StoreResult<i64>;
    /// Compare-and-set from `pending` to `status`.
    async fn settle_code_challenge(&self, id: &str, status: &str) -> StoreResult<bool>;
    async fn count_code_challenges_since(&self, user_id: &str, since: i64) -> StoreResult<i64>;
    async fn pending_code_challenges(
        &self,
        user_id: &str,
        channel: &str,
        now: i64,
    ) -> StoreResult<Vec<CodeChallenge>>;
}

/// The message outbox.
#[async_trait]
pub trait OutboxStore: Send + Sync {
    async fn insert_message(&self, message: &OutboxMessage) -> StoreResult<()>;
    /// Reserves up to `limit` due messages until `lease_until`, so two nodes never send one twice.
    async fn claim_messages(
        &self,
        now: i64,
        lease_until: i64,
        limit: i64,
    ) -> StoreResult<Vec<OutboxMessage>>;
    async fn finish_message(&self, id: &str, delivery: &Delivery) -> StoreResult<()>;
    async fn list_messages(
        &self,
        status: Option<MessageStatus>,
        limit: i64,
    ) -> StoreResult<Vec<OutboxMessage>>;
    async fn requeue_message(&self, id: &str, now: i64) -> StoreResult<bool>;
}

/// Small settings of the installation itself (e.g. the key check value).
#[async_trait]
pub trait MetaStore: Send + Sync {
    async fn get_meta(&self, key: &str) -> StoreResult<Option<Vec<u8>>>;
    /// Stores the value only if the key is absent; returns what is stored afterwards.
    async fn put_meta_once(&self, key: &str, value: &[u8]) -> StoreResult<Vec<u8>>;
    /// Stores the value, replacing what was there.
    async fn put_meta(&self, key: &str, value: &[u8]) -> StoreResult<()>;
}

/// The whole store: every concept's port and the decision write. A service
/// takes the narrowest of these it needs (`Arc<dyn ApiKeyStore>`, ...); an
/// `Arc<dyn Store>` converts to any of them.
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
    + crate::webpush::WebPushStore
    + crate::console::SessionStore
    + crate::portal::PortalStore
    + crate::directory::DirectoryStore
    + crate::welcome::WelcomeStore
    + crate::pool::PoolStore
    + DecisionStore
    + Send
    + Sync
{
    /// Which database this is, for logs and diagnostics (`sqlite`, `postgres`).
    fn backend(&self) -> &'static str;
}
