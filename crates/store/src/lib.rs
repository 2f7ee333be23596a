//! SQLite and PostgreSQL adapters for the domain's [`Store`] port.
//!
//! One implementation serves both databases through sqlx's `Any` driver:
//! the SQL is written in the dialect both accept (`$1` parameters,
//! `ON CONFLICT`, `RETURNING`), and only the migrations differ.

mod admins;
mod audit;
pub mod backup;
mod decision;
mod directory;
pub mod sqlite;

pub mod keys;
mod messages;
mod meta;
pub mod migrate;
mod pool;
mod portal;
pub mod push;
mod radius;
pub mod radius_drops;
mod sessions;
mod tokens;
mod users;
mod webpush;
mod welcome;

use async_trait::async_trait;
use countersign_domain::admin::{Admin, AdminStore};
use countersign_domain::codes::CodeChallenge;
use countersign_domain::console::{ConsoleSession, SessionStore};
use countersign_domain::decision::{DecisionResult, DecisionStore, DecisionWrite};
use countersign_domain::messages::{Delivery, MessageStatus, OutboxMessage};
use countersign_domain::portal::{EnrolmentLinkRow, PortalAccount, PortalSessionRow, PortalStore};
use countersign_domain::push::{Activation, Device, PushTransaction, TxStatus};
use countersign_domain::radius::{Challenge, StoredRadiusClient};
use countersign_domain::store::{FailureState, StoreResult};
use countersign_domain::{
    ApiKey, ApiKeyStore, AuditQuery, AuditRecord, AuditStore, CodeStore, MetaStore, OutboxStore,
    PushStore, RadiusStore, Store, StoreError, StoredToken, TokenStore, User, UserQuery, UserStore,
};
use sqlx::AnyPool;

mod codes;
pub mod connect;
pub use connect::{open, Backend, StoreOptions};

/// A boxed future: the store's entry points return one so callers inside
/// `async_trait` methods can prove `Send` (sqlx's executors otherwise trip
/// the compiler's higher-ranked lifetime check).
pub type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

/// A store on SQLite or PostgreSQL.
#[derive(Clone, Debug)]
pub struct SqlStore {
    pool: AnyPool,
    /// Where writes go: a one-connection pool on SQLite, the pool itself on PostgreSQL.
    writer: AnyPool,
    backend: Backend,
    /// SQLite only: the direct binding for decisions and the hot reads.
    direct: Option<std::sync::Arc<sqlite::Direct>>,
}

impl SqlStore {
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub async fn close(&self) {
        self.writer.close().await;
        self.pool.close().await;
    }
}

/// Text from outside as a query parameter. PostgreSQL refuses NUL in text;
/// nothing stored contains one (validation refuses control characters), so
/// a NUL becomes U+FFFD: lookups then simply find nothing, on both databases.
pub(crate) fn outside_text(text: &str) -> String {
    text.replace('\0', "\u{FFFD}")
}

/// Turns an sqlx error into the port's error, naming unique violations as conflicts.
pub(crate) fn db_error(what: &str) -> impl Fn(sqlx::Error) -> StoreError + '_ {
    move |err| match &err {
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            StoreError::Conflict(what.to_string())
        }
        _ => StoreError::Backend(format!("{what}: {err}")),
    }
}

#[async_trait]
impl DecisionStore for SqlStore {
    async fn commit_decision(&self, write: DecisionWrite) -> StoreResult<DecisionResult> {
        match &self.direct {
            Some(direct) => direct.commit(write).await,
            None => decision::commit(&self.writer, &write).await,
        }
    }
}

#[async_trait]
impl UserStore for SqlStore {
    async fn insert_user(&self, user: &User) -> StoreResult<()> {
        users::insert(&self.writer, user).await
    }
    async fn user_by_name(&self, username: &str) -> StoreResult<Option<User>> {
        users::by_name(&self.pool, username).await
    }
    async fn user_by_id(&self, id: &str) -> StoreResult<Option<User>> {
        users::by_id(&self.pool, id).await
    }
    async fn set_pin(&self, user_id: &str, pin_hash: Option<&str>) -> StoreResult<()> {
        users::set_pin(&self.writer, user_id, pin_hash).await
    }
    async fn pin_hash(&self, user_id: &str) -> StoreResult<Option<String>> {
        users::pin_hash(&self.pool, user_id).await
    }
    async fn user_with_tokens(
        &self,
        username: &str,
    ) -> StoreResult<Option<(User, Vec<StoredToken>)>> {
        match &self.direct {
            Some(direct) => direct.reads.user_with_tokens(username),
            None => users::with_tokens(&self.pool, username).await,
        }
    }
    async fn mark_welcomed(&self, user_id: &str, now: i64) -> StoreResult<()> {
        users::mark_welcomed(&self.writer, user_id, now).await
    }
    async fn list_users(&self, query: &UserQuery) -> StoreResult<Vec<User>> {
        users::list(&self.pool, query).await
    }
    async fn update_user(&self, user: &User) -> StoreResult<()> {
        users::update(&self.writer, user).await
    }
    async fn delete_user(&self, user_id: &str) -> StoreResult<bool> {
        users::delete(&self.writer, user_id).await
    }
    async fn record_failure(
        &self,
        user_id: &str,
        now: i64,
        threshold: i64,
        lock_seconds: i64,
    ) -> StoreResult<FailureState> {
        users::record_failure(&self.writer, user_id, now, threshold, lock_seconds).await
    }
    async fn clear_failures(&self, user_id: &str) -> StoreResult<()> {
        users::clear_failures(&self.writer, user_id).await
    }
    async fn set_bypass(&self, user_id: &str, bypass: Option<(i64, &str)>) -> StoreResult<bool> {
        users::set_bypass(&self.writer, user_id, bypass).await
    }
    async fn take_bypass(&self, user_id: &str, now: i64) -> StoreResult<bool> {
        users::take_bypass(&self.writer, user_id, now).await
    }
    async fn users_by_phone(&self, phone: &str) -> StoreResult<Vec<User>> {
        users::by_phone(&self.pool, phone).await
    }
}

#[async_trait]
impl TokenStore for SqlStore {
    async fn insert_token(&self, token: &StoredToken) -> StoreResult<()> {
        tokens::insert(&self.writer, token).await
    }
    async fn tokens_of_user(&self, user_id: &str) -> StoreResult<Vec<StoredToken>> {
        tokens::of_user(&self.pool, user_id).await
    }
    async fn delete_token(&self, user_id: &str, token_id: &str) -> StoreResult<bool> {
        tokens::delete(&self.writer, user_id, token_id).await
    }
    async fn advance_token(
        &self,
        token_id: &str,
        used: i64,
        drift: i64,
        now: i64,
    ) -> StoreResult<bool> {
        tokens::advance(&self.writer, token_id, used, drift, now).await
    }
    async fn reset_token_counter(&self, token_id: &str, last_used: i64) -> StoreResult<()> {
        tokens::reset_counter(&self.writer, token_id, last_used).await
    }
}

#[async_trait]
impl ApiKeyStore for SqlStore {
    async fn insert_api_key(&self, key: &ApiKey) -> StoreResult<()> {
        keys::insert(&self.writer, key).await
    }
    async fn api_key_by_prefix(&self, prefix: &str) -> StoreResult<Option<ApiKey>> {
        match &self.direct {
            Some(direct) => direct.reads.api_key_by_prefix(prefix),
            None => keys::by_prefix(&self.pool, prefix).await,
        }
    }
    async fn list_api_keys(&self) -> StoreResult<Vec<ApiKey>> {
        keys::list(&self.pool).await
    }
    async fn revoke_api_key(&self, name: &str, now: i64) -> StoreResult<bool> {
        keys::revoke(&self.writer, self.backend, name, now).await
    }
    async fn touch_api_key(&self, id: &str, now: i64) -> StoreResult<()> {
        keys::touch(&self.writer, id, now).await
    }
}

#[async_trait]
impl AuditStore for SqlStore {
    async fn append_audit(&self, record: &AuditRecord) -> StoreResult<()> {
        audit::append(&self.writer, record).await
    }
    async fn query_audit(&self, query: &AuditQuery) -> StoreResult<Vec<AuditRecord>> {
        audit::query(&self.pool, query).await
    }
    async fn audit_page(&self, query: &AuditQuery) -> StoreResult<Vec<(i64, AuditRecord)>> {
        audit::page(&self.pool, query).await
    }
    async fn audit_counts(
        &self,
        since: i64,
    ) -> StoreResult<Vec<countersign_domain::audit::AuditCount>> {
        audit::counts(&self.pool, since).await
    }
}

#[async_trait]
impl RadiusStore for SqlStore {
    async fn insert_radius_client(&self, client: &StoredRadiusClient) -> StoreResult<()> {
        radius::insert_client(&self.writer, client).await
    }
    async fn list_radius_clients(&self) -> StoreResult<Vec<StoredRadiusClient>> {
        radius::list_clients(&self.pool).await
    }
    async fn delete_radius_client(&self, name: &str) -> StoreResult<bool> {
        radius::delete_client(&self.writer, name).await
    }
    async fn update_radius_client(&self, client: &StoredRadiusClient) -> StoreResult<()> {
        radius::update_client(&self.writer, client).await
    }
    async fn insert_challenge(&self, challenge: &Challenge) -> StoreResult<()> {
        radius::insert_challenge(&self.writer, challenge).await
    }
    async fn take_challenge(&self, state: &str, now: i64) -> StoreResult<Option<Challenge>> {
        radius::take_challenge(&self.writer, state, now).await
    }
    async fn recent_radius_drops(
        &self,
        since: i64,
    ) -> StoreResult<Vec<countersign_domain::radius::DropCount>> {
        let drops = SqlStore::radius_drops_since(self, since).await?;
        Ok(drops
            .into_iter()
            .map(|d| countersign_domain::radius::DropCount {
                source: d.source,
                cause: d.cause,
                count: d.count,
                last_at: d.last_at,
            })
            .collect())
    }
}

#[async_trait]
impl PushStore for SqlStore {
    async fn insert_activation(&self, activation: &Activation) -> StoreResult<()> {
        push::insert_activation(&self.writer, activation).await
    }
    async fn activation_by_lookup(&self, lookup: &str) -> StoreResult<Option<Activation>> {
        push::activation_by_lookup(&self.pool, lookup).await
    }
    async fn count_activation_failure(&self, id: &str) -> StoreResult<i64> {
        push::count_activation_failure(&self.writer, id).await
    }
    async fn use_activation(&self, id: &str, now: i64, max_attempts: i64) -> StoreResult<bool> {
        push::use_activation(&self.writer, id, now, max_attempts).await
    }
    async fn insert_device(&self, device: &Device) -> StoreResult<()> {
        push::insert_device(&self.writer, device).await
    }
    async fn devices_of_user(&self, user_id: &str) -> StoreResult<Vec<Device>> {
        push::devices_of_user(&self.pool, user_id).await
    }
    async fn device(&self, id: &str) -> StoreResult<Option<Device>> {
        push::device(&self.pool, id).await
    }
    async fn delete_device(&self, user_id: &str, id: &str) -> StoreResult<bool> {
        push::delete_device(&self.writer, user_id, id).await
    }
    async fn use_nonce(
        &self,
        device_id: &str,
        nonce: &str,
        expires_at: i64,
        now: i64,
    ) -> StoreResult<bool> {
        let _ = now; // expired nonces go on a timer: delete_expired_nonces
        push::use_nonce(&self.writer, device_id, nonce, expires_at).await
    }
    async fn delete_expired_nonces(&self, now: i64) -> StoreResult<u64> {
        push::delete_expired_nonces(&self.writer, now).await
    }
    async fn insert_transaction(&self, transaction: &PushTransaction) -> StoreResult<()> {
        push::insert_transaction(&self.writer, transaction).await
    }
    async fn transaction(&self, id: &str) -> StoreResult<Option<PushTransaction>> {
        push::transaction(&self.pool, id).await
    }
    async fn decide_transaction(
        &self,
        id: &str,
        status: TxStatus,
        reason: Option<&str>,
        device_id: Option<&str>,
        now: i64,
    ) -> StoreResult<bool> {
        push::decide_transaction(&self.writer, id, status, reason, device_id, now).await
    }
    async fn count_transactions_since(&self, user_id: &str, since: i64) -> StoreResult<i64> {
        push::count_since(&self.pool, user_id, since).await
    }
    async fn count_recent_transactions(
        &self,
        user_id: &str,
        minute_since: i64,
        hour_since: i64,
    ) -> StoreResult<(i64, i64)> {
        push::count_recent(&self.pool, user_id, minute_since, hour_since).await
    }
    async fn pending_transactions(
        &self,
        user_id: &str,
        now: i64,
    ) -> StoreResult<Vec<PushTransaction>> {
        push::pending(&self.pool, user_id, now).await
    }
    async fn notify(&self, payload: &str) -> StoreResult<()> {
        push::notify(&self.pool, self.backend, payload).await
    }
}

#[async_trait]
impl CodeStore for SqlStore {
    async fn insert_code_challenge(&self, challenge: &CodeChallenge) -> StoreResult<()> {
        codes::insert(&self.writer, challenge).await
    }
    async fn code_challenge(&self, id: &str) -> StoreResult<Option<CodeChallenge>> {
        codes::get(&self.pool, id).await
    }
    async fn count_code_attempt(&self, id: &str) -> StoreResult<i64> {
        codes::count_attempt(&self.writer, id).await
    }
    async fn settle_code_challenge(&self, id: &str, status: &str) -> StoreResult<bool> {
        codes::settle(&self.writer, id, status).await
    }
    async fn pending_code_challenges(
        &self,
        user_id: &str,
        channel: &str,
        now: i64,
    ) -> StoreResult<Vec<CodeChallenge>> {
        codes::pending(&self.pool, user_id, channel, now).await
    }
    async fn count_code_challenges_since(&self, user_id: &str, since: i64) -> StoreResult<i64> {
        codes::count_since(&self.pool, user_id, since).await
    }
}

#[async_trait]
impl OutboxStore for SqlStore {
    async fn insert_message(&self, message: &OutboxMessage) -> StoreResult<()> {
        messages::insert(&self.writer, message).await
    }
    async fn claim_messages(
        &self,
        now: i64,
        lease_until: i64,
        limit: i64,
    ) -> StoreResult<Vec<OutboxMessage>> {
        messages::claim(&self.writer, now, lease_until, limit).await
    }
    async fn finish_message(&self, id: &str, delivery: &Delivery) -> StoreResult<()> {
        messages::finish(&self.writer, id, delivery).await
    }
    async fn list_messages(
        &self,
        status: Option<MessageStatus>,
        limit: i64,
    ) -> StoreResult<Vec<OutboxMessage>> {
        messages::list(&self.pool, status, limit).await
    }
    async fn requeue_message(&self, id: &str, now: i64) -> StoreResult<bool> {
        messages::requeue(&self.writer, id, now).await
    }
}

#[async_trait]
impl MetaStore for SqlStore {
    async fn get_meta(&self, key: &str) -> StoreResult<Option<Vec<u8>>> {
        meta::get(&self.pool, key).await
    }
    async fn put_meta_once(&self, key: &str, value: &[u8]) -> StoreResult<Vec<u8>> {
        meta::put_once(&self.writer, key, value).await
    }
    async fn put_meta(&self, key: &str, value: &[u8]) -> StoreResult<()> {
        meta::put(&self.writer, key, value).await
    }
}

#[async_trait]
impl AdminStore for SqlStore {
    async fn insert_admin(&self, admin: &Admin) -> StoreResult<()> {
        admins::insert(&self.writer, admin).await
    }
    async fn admin_by_name(&self, name: &str) -> StoreResult<Option<Admin>> {
        admins::by_name(&self.pool, name).await
    }
    async fn list_admins(&self) -> StoreResult<Vec<Admin>> {
        admins::list(&self.pool).await
    }
    async fn delete_admin(&self, name: &str) -> StoreResult<bool> {
        admins::delete(&self.writer, name).await
    }
    async fn set_admin_password(&self, id: &str, hash: &str, now: i64) -> StoreResult<bool> {
        admins::set_password(&self.writer, id, hash, now).await
    }
}

#[async_trait]
impl countersign_domain::webpush::WebPushStore for SqlStore {
    async fn put_subscription(
        &self,
        subscription: &countersign_domain::webpush::StoredSubscription,
    ) -> StoreResult<()> {
        webpush::put(&self.writer, subscription).await
    }
    async fn delete_subscription(&self, device_id: &str) -> StoreResult<bool> {
        webpush::delete(&self.writer, device_id).await
    }
    async fn subscriptions_of_user(
        &self,
        user_id: &str,
    ) -> StoreResult<Vec<countersign_domain::webpush::StoredSubscription>> {
        webpush::of_user(&self.pool, user_id).await
    }
    async fn record_push_result(&self, device_id: &str, result: &str, at: i64) -> StoreResult<()> {
        webpush::record(&self.writer, device_id, result, at).await
    }
}

#[async_trait]
impl SessionStore for SqlStore {
    async fn insert_session(&self, session: &ConsoleSession) -> StoreResult<()> {
        sessions::insert(&self.writer, session).await
    }
    async fn session_by_hash(&self, id_hash: &str) -> StoreResult<Option<ConsoleSession>> {
        sessions::by_hash(&self.pool, id_hash).await
    }
    async fn touch_session(&self, id_hash: &str, now: i64) -> StoreResult<()> {
        sessions::touch(&self.writer, id_hash, now).await
    }
    async fn delete_session(&self, id_hash: &str) -> StoreResult<()> {
        sessions::delete(&self.writer, id_hash).await
    }
    async fn delete_admin_sessions(&self, admin_id: &str) -> StoreResult<u64> {
        sessions::delete_of_admin(&self.writer, admin_id).await
    }
    async fn delete_stale_sessions(
        &self,
        idle_before: i64,
        created_before: i64,
    ) -> StoreResult<u64> {
        sessions::delete_stale(&self.writer, idle_before, created_before).await
    }
    async fn set_admin_second_factor(&self, admin_id: &str, at: Option<i64>) -> StoreResult<()> {
        admins::set_second_factor(&self.writer, admin_id, at).await
    }
    async fn admin_by_id(&self, admin_id: &str) -> StoreResult<Option<Admin>> {
        admins::by_id(&self.pool, admin_id).await
    }
}

#[async_trait]
impl countersign_domain::welcome::WelcomeStore for SqlStore {
    async fn insert_welcomes(
        &self,
        rows: &[countersign_domain::welcome::WelcomeRows],
    ) -> StoreResult<()> {
        welcome::insert(&self.writer, rows).await
    }
}

#[async_trait]
impl countersign_domain::directory::DirectoryStore for SqlStore {
    async fn directory_links(
        &self,
    ) -> StoreResult<Vec<countersign_domain::directory::DirectoryLink>> {
        directory::links(&self.pool).await
    }
    async fn apply_directory_writes(
        &self,
        writes: &[countersign_domain::directory::DirectoryWrite],
        now: i64,
    ) -> StoreResult<()> {
        directory::apply(&self.writer, writes, now).await
    }
    async fn take_lease(
        &self,
        name: &str,
        holder: &str,
        now: i64,
        until: i64,
    ) -> StoreResult<bool> {
        directory::take_lease(&self.writer, name, holder, now, until).await
    }
}

#[async_trait]
impl PortalStore for SqlStore {
    async fn insert_portal_session(&self, row: &PortalSessionRow) -> StoreResult<()> {
        portal::insert_session(&self.writer, row).await
    }
    async fn portal_session(&self, id_hash: &str) -> StoreResult<Option<PortalSessionRow>> {
        portal::session(&self.pool, id_hash).await
    }
    async fn touch_portal_session(&self, id_hash: &str, now: i64) -> StoreResult<()> {
        portal::touch_session(&self.writer, id_hash, now).await
    }
    async fn save_portal_session_data(&self, id_hash: &str, data: Option<&str>) -> StoreResult<()> {
        portal::save_data(&self.writer, id_hash, data).await
    }
    async fn delete_portal_session(&self, id_hash: &str) -> StoreResult<()> {
        portal::delete_session(&self.writer, id_hash).await
    }
    async fn delete_user_portal_sessions(&self, user_id: &str) -> StoreResult<u64> {
        portal::delete_user_sessions(&self.writer, user_id).await
    }
    async fn delete_stale_portal_sessions(
        &self,
        idle_before: i64,
        created_before: i64,
    ) -> StoreResult<u64> {
        portal::delete_stale_sessions(&self.writer, idle_before, created_before).await
    }
    async fn insert_enrolment_link(&self, link: &EnrolmentLinkRow) -> StoreResult<()> {
        portal::insert_link(&self.writer, link).await
    }
    async fn enrolment_link(&self, id_hash: &str) -> StoreResult<Option<EnrolmentLinkRow>> {
        portal::link(&self.pool, id_hash).await
    }
    async fn take_enrolment_link(&self, id_hash: &str, now: i64) -> StoreResult<Option<String>> {
        portal::take_link(&self.writer, id_hash, now).await
    }
    async fn portal_account(&self, user_id: &str) -> StoreResult<Option<PortalAccount>> {
        portal::account(&self.pool, user_id).await
    }
    async fn put_portal_account(&self, account: &PortalAccount) -> StoreResult<()> {
        portal::put_account(&self.writer, account).await
    }
    async fn token_labels(&self, user_id: &str) -> StoreResult<Vec<(String, String)>> {
        portal::token_labels(&self.pool, user_id).await
    }
    async fn set_token_label(&self, token_id: &str, label: &str) -> StoreResult<()> {
        portal::set_token_label(&self.writer, token_id, label).await
    }
    async fn rename_device(&self, user_id: &str, device_id: &str, name: &str) -> StoreResult<bool> {
        portal::rename_device(&self.writer, user_id, device_id, name).await
    }
}

impl Store for SqlStore {
    fn backend(&self) -> &'static str {
        self.backend.name()
    }
}
