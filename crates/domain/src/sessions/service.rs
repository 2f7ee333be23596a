//! Sessions of one kind: rows in the store, so any node serves any request
//! and signing out (or expiry) holds everywhere at once. The cookie carries
//! a random token; the store keeps only its keyed hash, so a copied
//! database holds no usable session.

use std::marker::PhantomData;
use std::sync::Arc;

use base64::Engine;

use super::expiry::{Closed, SessionPolicy};
use super::subject::{Live, Subject};
use crate::crypto::SecretKey;
use crate::model::error::DomainError;
use crate::model::ids::random_text;
use crate::model::session::{Level, Session};
use crate::ports::clock::Clock;
use crate::ports::SessionsPorts;

/// Touching a session on every request would be one write per page; once a
/// minute is enough for idle limits counted in minutes.
const TOUCH_EVERY_SECONDS: i64 = 60;

/// Limits read at every use (from the stored settings), for a kind whose
/// limits administrators change while the server runs.
pub type PolicySource = Arc<dyn Fn() -> SessionPolicy + Send + Sync>;

/// The sessions of one kind of subject `S`.
#[derive(Clone)]
pub struct SessionsOf<S> {
    pub(super) store: Arc<dyn SessionsPorts>,
    pub(super) clock: Arc<dyn Clock>,
    key: SecretKey,
    policy: SessionPolicy,
    source: Option<PolicySource>,
    kind: PhantomData<fn() -> S>,
}

impl<S: Subject> SessionsOf<S> {
    pub fn new(
        store: Arc<dyn SessionsPorts>,
        clock: Arc<dyn Clock>,
        key: SecretKey,
        policy: SessionPolicy,
    ) -> Self {
        Self {
            store,
            clock,
            key,
            policy,
            source: None,
            kind: PhantomData,
        }
    }

    /// These sessions with their limits read from `source` at every use.
    pub fn with_policy_source(mut self, source: PolicySource) -> Self {
        self.source = Some(source);
        self
    }

    pub fn policy(&self) -> SessionPolicy {
        match &self.source {
            Some(source) => source(),
            None => self.policy,
        }
    }

    /// Opens a session at `level`; returns the cookie's token (shown once).
    pub async fn open(
        &self,
        subject: &S,
        level: Level,
        data: S::Data,
        address: Option<String>,
    ) -> Result<(String, Live<S>), DomainError> {
        let live = Live {
            id_hash: String::new(),
            level,
            csrf: String::new(),
            created_at: self.clock.now(),
            address,
            subject: subject.clone(),
            data,
        };
        self.insert(live).await
    }

    /// Stores `live` under a new token and a new `csrf`.
    async fn insert(&self, mut live: Live<S>) -> Result<(String, Live<S>), DomainError> {
        let token = random_text(32);
        live.id_hash = self.hash(&token);
        live.csrf = random_text(32);
        let session = Session {
            id_hash: live.id_hash.clone(),
            kind: S::KIND,
            subject_id: live.subject.id().to_string(),
            level: live.level,
            csrf: live.csrf.clone(),
            data: self.seal_data(&live.id_hash, &live.data)?,
            created_at: live.created_at,
            last_seen_at: self.clock.now(),
            address: live.address.clone(),
        };
        self.store.insert_session(&session).await?;
        Ok((token, live))
    }

    /// The live session of a cookie's token; an expired one, or one whose
    /// subject is gone (or disabled), is removed.
    pub async fn find(&self, token: &str) -> Result<Result<Live<S>, Closed>, DomainError> {
        let id_hash = self.hash(token);
        let found = self.find_by_hash(&id_hash).await?;
        if let Ok((_, last_seen_at)) = &found {
            let now = self.clock.now();
            if now - last_seen_at >= TOUCH_EVERY_SECONDS {
                self.store.touch_session(&id_hash, now).await?;
            }
        }
        Ok(found.map(|(live, _)| live).map_err(|(closed, _)| closed))
    }

    /// The live session stored under `id_hash` and when it was last seen,
    /// without marking it seen (see [`SessionsOf::touch_due`]); an expired
    /// one, or one whose subject is gone, is removed. A session that is
    /// over says why, with its subject's id when there was a row.
    pub async fn find_by_hash(
        &self,
        id_hash: &str,
    ) -> Result<Result<(Live<S>, i64), (Closed, Option<String>)>, DomainError> {
        let Some(row) = self.store.session(S::KIND, id_hash).await? else {
            return Ok(Err((Closed::Unknown, None)));
        };
        let now = self.clock.now();
        if let Some(closed) = self.policy().closed(row.created_at, row.last_seen_at, now) {
            self.store.delete_session(id_hash).await?;
            return Ok(Err((closed, Some(row.subject_id))));
        }
        let Some(subject) = S::load(self.store.as_ref(), &row.subject_id).await? else {
            self.store.delete_session(id_hash).await?;
            return Ok(Err((Closed::Unknown, Some(row.subject_id))));
        };
        let live = Live {
            data: self.open_data(id_hash, row.data.as_deref()),
            id_hash: id_hash.to_string(),
            level: row.level,
            csrf: row.csrf,
            created_at: row.created_at,
            address: row.address,
            subject,
        };
        Ok(Ok((live, row.last_seen_at)))
    }

    /// Whether a session last seen at `last_seen_at` is due to be marked seen.
    pub fn touch_due(&self, last_seen_at: i64) -> bool {
        self.clock.now() - last_seen_at >= TOUCH_EVERY_SECONDS
    }

    /// Marks the session seen now (for its idle limit); returns when.
    pub async fn touch(&self, id_hash: &str) -> Result<i64, DomainError> {
        let now = self.clock.now();
        self.store.touch_session(id_hash, now).await?;
        Ok(now)
    }

    /// The stored id (keyed hash) of a cookie's token.
    pub fn id_hash(&self, token: &str) -> String {
        self.hash(token)
    }

    /// The clock the sessions are timed by.
    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// Moves a session on (after the second factor, after enrolment) under
    /// a new token, so a token seen before sign-in is worth nothing after
    /// it. The absolute limit still counts from the first factor; the
    /// working state starts afresh.
    pub async fn advance(
        &self,
        live: &Live<S>,
        level: Level,
    ) -> Result<(String, Live<S>), DomainError> {
        self.advance_with(live, level, S::Data::default()).await
    }

    /// [`SessionsOf::advance`] with `data` as the new working state.
    pub async fn advance_with(
        &self,
        live: &Live<S>,
        level: Level,
        data: S::Data,
    ) -> Result<(String, Live<S>), DomainError> {
        self.store.delete_session(&live.id_hash).await?;
        let next = Live {
            level,
            data,
            ..live.clone()
        };
        self.insert(next).await
    }

    /// Saves the session's working state.
    pub async fn save_data(&self, live: &Live<S>) -> Result<(), DomainError> {
        let sealed = self.seal_data(&live.id_hash, &live.data)?;
        Ok(self
            .store
            .save_session_data(&live.id_hash, sealed.as_deref())
            .await?)
    }

    /// Ends one session by its stored hash (signing out).
    pub async fn end(&self, id_hash: &str) -> Result<(), DomainError> {
        Ok(self.store.delete_session(id_hash).await?)
    }

    /// Signs the subject out on every device and node.
    pub async fn close_all(&self, subject_id: &str) -> Result<u64, DomainError> {
        Ok(self.store.delete_sessions_of(S::KIND, subject_id).await?)
    }

    /// Signs the subject out everywhere but in `live` (after a change to
    /// how they are reached, the other sessions may be someone else's).
    pub async fn close_others(&self, live: &Live<S>) -> Result<u64, DomainError> {
        Ok(self
            .store
            .delete_other_sessions(S::KIND, live.subject.id(), &live.id_hash)
            .await?)
    }

    /// Removes expired sessions (run now and then; `find` refuses them anyway).
    pub async fn sweep(&self) -> Result<u64, DomainError> {
        let now = self.clock.now();
        let policy = self.policy();
        let (idle_before, created_before) =
            (now - policy.idle_seconds, now - policy.absolute_seconds);
        Ok(self
            .store
            .delete_stale_sessions(S::KIND, idle_before, created_before)
            .await?)
    }

    /// The `csrf` value for the sign-in forms, bound to the browser's
    /// pre-session cookie: no row is written for a page view.
    pub fn login_csrf(&self, pre_token: &str) -> String {
        let mac = self
            .key
            .mac(&self.purpose("login-csrf"), pre_token.as_bytes());
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac)
    }

    fn hash(&self, token: &str) -> String {
        let mac = self.key.mac(&self.purpose("session"), token.as_bytes());
        mac.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Each kind hashes with its own key: a token of one kind means nothing as another.
    fn purpose(&self, what: &str) -> String {
        format!("{}-{what}", S::KIND.as_str())
    }

    /// The sealed state; none for the default state.
    fn seal_data(&self, id_hash: &str, data: &S::Data) -> Result<Option<String>, DomainError> {
        if *data == S::Data::default() {
            return Ok(None);
        }
        let plain =
            serde_json::to_vec(data).map_err(|e| DomainError::invalid("session", e.to_string()))?;
        let sealed = self.key.seal("sessions", id_hash, "data", &plain);
        Ok(Some(
            base64::engine::general_purpose::STANDARD.encode(sealed),
        ))
    }

    /// A state that no longer opens (a key change) is simply empty.
    fn open_data(&self, id_hash: &str, sealed: Option<&str>) -> S::Data {
        sealed
            .and_then(|text| base64::engine::general_purpose::STANDARD.decode(text).ok())
            .and_then(|bytes| self.key.open("sessions", id_hash, "data", &bytes).ok())
            .and_then(|plain| serde_json::from_slice(&plain).ok())
            .unwrap_or_default()
    }
}
