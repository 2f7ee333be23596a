//! Console sessions: rows in the store, so any node serves any request and
//! signing out (or expiry) holds everywhere at once. The cookie carries a
//! random token; the store keeps only its keyed hash, so a copied database
//! does not hold usable sessions.

use crate::model::session::ConsoleSession;
use crate::model::session::Stage;

use std::sync::Arc;

use base64::Engine;

use crate::crypto::SecretKey;
use crate::model::admin::Admin;
use crate::model::audit::AuditRecord;
use crate::model::error::DomainError;
use crate::model::ids::{new_id, random_text};
use crate::ports::clock::Clock;
use crate::ports::Store;

/// Idle and absolute limits (`[console]` in the configuration).
#[derive(Debug, Clone, Copy)]
pub struct SessionPolicy {
    pub idle_seconds: i64,
    pub absolute_seconds: i64,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        Self {
            idle_seconds: 30 * 60,
            absolute_seconds: 12 * 3600,
        }
    }
}

/// A session that is still valid, with its administrator.
#[derive(Debug, Clone)]
pub struct Live {
    pub session: ConsoleSession,
    pub admin: Admin,
}

/// Why a cookie does not open a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closed {
    /// No such session: never was, signed out, or removed everywhere.
    Unknown,
    Idle,
    TooOld,
}

impl Closed {
    /// The word in `/admin/login?ended=...` that carries why to the sign-in page.
    pub fn as_str(self) -> &'static str {
        match self {
            Closed::Unknown => "out",
            Closed::Idle => "idle",
            Closed::TooOld => "limit",
        }
    }

    pub fn parse(text: &str) -> Option<Closed> {
        [Closed::Unknown, Closed::Idle, Closed::TooOld]
            .into_iter()
            .find(|c| c.as_str() == text)
    }

    pub fn message(self) -> &'static str {
        match self {
            Closed::Unknown => "You are signed out. Sign in to continue.",
            Closed::Idle => "Your session ended after a while without activity. Sign in again.",
            Closed::TooOld => "Your session reached its time limit. Sign in again.",
        }
    }
}

/// The audit result of administrators' actions (besides `accepted`/`rejected`).
pub const ADMIN_RESULT: &str = "admin";

/// Touching a session on every request would be one write per page; once a
/// minute is enough for a 30-minute idle limit.
const TOUCH_EVERY_SECONDS: i64 = 60;

#[derive(Clone)]
pub struct Sessions {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    key: SecretKey,
    policy: SessionPolicy,
}

impl Sessions {
    pub fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        key: SecretKey,
        policy: SessionPolicy,
    ) -> Self {
        Self {
            store,
            clock,
            key,
            policy,
        }
    }

    pub fn policy(&self) -> SessionPolicy {
        self.policy
    }

    /// Opens a session at `stage`; returns the cookie's token (shown once).
    pub async fn open(
        &self,
        admin: &Admin,
        stage: Stage,
        address: Option<String>,
    ) -> Result<(String, ConsoleSession), DomainError> {
        self.open_since(admin, stage, address, self.clock.now())
            .await
    }

    async fn open_since(
        &self,
        admin: &Admin,
        stage: Stage,
        address: Option<String>,
        created_at: i64,
    ) -> Result<(String, ConsoleSession), DomainError> {
        let token = random_text(32);
        let session = ConsoleSession {
            id_hash: self.hash(&token),
            admin_id: admin.id.clone(),
            stage,
            csrf: random_text(32),
            created_at,
            last_seen_at: self.clock.now(),
            address,
        };
        self.store.insert_session(&session).await?;
        Ok((token, session))
    }

    /// The live session of a cookie's token; an expired one is removed.
    pub async fn find(&self, token: &str) -> Result<Result<Live, Closed>, DomainError> {
        let id_hash = self.hash(token);
        let Some(session) = self.store.session_by_hash(&id_hash).await? else {
            return Ok(Err(Closed::Unknown));
        };
        let now = self.clock.now();
        let closed = if now - session.created_at >= self.policy.absolute_seconds {
            Some(Closed::TooOld)
        } else if now - session.last_seen_at >= self.policy.idle_seconds {
            Some(Closed::Idle)
        } else {
            None
        };
        if let Some(closed) = closed {
            self.store.delete_session(&id_hash).await?;
            return Ok(Err(closed));
        }
        let Some(admin) = self.store.admin_by_id(&session.admin_id).await? else {
            self.store.delete_session(&id_hash).await?;
            return Ok(Err(Closed::Unknown));
        };
        if now - session.last_seen_at >= TOUCH_EVERY_SECONDS {
            self.store.touch_session(&id_hash, now).await?;
        }
        Ok(Ok(Live { session, admin }))
    }

    /// Moves a session on (after the code, after enrolment) under a new
    /// token, so a token seen before sign-in is worth nothing after it.
    pub async fn advance(
        &self,
        live: &Live,
        stage: Stage,
    ) -> Result<(String, ConsoleSession), DomainError> {
        self.store.delete_session(&live.session.id_hash).await?;
        // The absolute limit counts from the password, not from the code.
        let (session, address) = (&live.session, live.session.address.clone());
        self.open_since(&live.admin, stage, address, session.created_at)
            .await
    }

    pub async fn close(&self, token: &str) -> Result<(), DomainError> {
        self.end(&self.hash(token)).await
    }

    /// Ends one session by its stored hash (signing out).
    pub async fn end(&self, id_hash: &str) -> Result<(), DomainError> {
        Ok(self.store.delete_session(id_hash).await?)
    }

    /// Signs the administrator out on every device and node.
    pub async fn close_all(&self, admin_id: &str) -> Result<u64, DomainError> {
        Ok(self.store.delete_admin_sessions(admin_id).await?)
    }

    /// Removes expired sessions (run now and then; `find` refuses them anyway).
    pub async fn sweep(&self) -> Result<u64, DomainError> {
        let now = self.clock.now();
        Ok(self
            .store
            .delete_stale_sessions(
                now - self.policy.idle_seconds,
                now - self.policy.absolute_seconds,
            )
            .await?)
    }

    /// Audits an administrator's action on `target` (a user, or `-`):
    /// result `admin`, method the action, client `console:NAME`.
    pub async fn record_action(
        &self,
        live: &Live,
        action: &str,
        target: &str,
        address: Option<String>,
    ) -> Result<(), DomainError> {
        let record = AuditRecord {
            id: new_id("aud"),
            at: self.clock.now(),
            username: target.to_string(),
            user_id: None,
            method: action.to_string(),
            token_id: None,
            result: ADMIN_RESULT.to_string(),
            reason: None,
            api_key: Some(format!("console:{}", live.admin.name)),
            source_address: address,
        };
        tracing::info!(admin = %live.admin.name, action, target, "console action");
        Ok(self.store.append_audit(&record).await?)
    }

    pub async fn second_factor_enrolled(&self, admin_id: &str) -> Result<(), DomainError> {
        let now = self.clock.now();
        Ok(self
            .store
            .set_admin_second_factor(admin_id, Some(now))
            .await?)
    }

    /// The `csrf` value for the sign-in form, bound to the browser's
    /// pre-session cookie: no row is written for a page view.
    pub fn login_csrf(&self, pre_token: &str) -> String {
        let mac = self.key.mac("console-login-csrf", pre_token.as_bytes());
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac)
    }

    fn hash(&self, token: &str) -> String {
        let mac = self.key.mac("console-session", token.as_bytes());
        mac.iter().map(|b| format!("{b:02x}")).collect()
    }
}
