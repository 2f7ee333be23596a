//! Forward auth: is the browser behind this proxied request signed in at
//! `/sso`, and may it reach this host? The common path (a signed-in
//! browser, seen in the last [`super::LOGIN_TTL`]) reads only this node's
//! memory; the session is marked seen at most once a minute, in a task of
//! its own, never on the request's path.
//!
//! Audited (client `forward:HOST`): a host refused for want of a group
//! (`group_required`, once a minute per session and host) and a session
//! found over its idle or absolute limit (`session_expired`, once: the row
//! is removed). Not audited: requests without a session, which every
//! anonymous page view of every proxied application makes; they are
//! counted in `/metrics` instead.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::cache::{Cached, CachedLogin};
use super::hosts::bare_host;
use super::Sso;
use crate::model::audit::AuditRecord;
use crate::model::error::DomainError;
use crate::model::ids::new_id;
use crate::model::session::Level;
use crate::sessions::Closed;

/// A group refusal for one session and host is audited at most this often.
const AUDIT_EVERY: Duration = Duration::from_secs(60);
/// Past this many remembered refusals the memory is emptied.
const MAX_AUDITED: usize = 10_000;

/// The method audit records of forward auth carry.
pub const FORWARD_METHOD: &str = "forward_auth";

/// One proxied request, as the door read it.
#[derive(Debug, Clone, Copy)]
pub struct ForwardCheck<'a> {
    /// The `/sso` session cookie's value, if the browser sent one.
    pub token: Option<&'a str>,
    /// The host the browser asked the proxy for.
    pub host: &'a str,
    /// The browser's address as the proxy reported it (for the audit).
    pub address: Option<&'a str>,
}

/// The answer to a forward-auth check.
#[derive(Debug, Clone)]
pub enum Verdict {
    /// Signed in and allowed: the identity for the `Remote-*` headers.
    Allowed(Arc<CachedLogin>),
    /// Not signed in (no cookie, unknown, ended, or not past the second factor).
    SignIn,
    /// Signed in but not in any group this host requires.
    Forbidden(Arc<CachedLogin>),
}

/// Group refusals audited lately, by session and host.
#[derive(Debug, Default)]
pub(super) struct AuditedRecently(Mutex<HashMap<(String, String), Instant>>);

impl AuditedRecently {
    /// Whether this refusal is due for an audit record (and notes it).
    fn due(&self, id_hash: &str, host: &str) -> bool {
        let Ok(mut seen) = self.0.lock() else {
            return true;
        };
        let now = Instant::now();
        let key = (id_hash.to_string(), host.to_string());
        if seen.get(&key).is_some_and(|at| now - *at < AUDIT_EVERY) {
            return false;
        }
        if seen.len() >= MAX_AUDITED {
            seen.clear();
        }
        seen.insert(key, now);
        true
    }
}

impl Sso {
    /// Decides one proxied request; counted in `/metrics` by its answer.
    pub async fn forward(&self, check: ForwardCheck<'_>) -> Result<Verdict, DomainError> {
        let verdict = self.decide(check).await;
        let result = match &verdict {
            Ok(Verdict::Allowed(_)) => "allowed",
            Ok(Verdict::SignIn) => "sign_in",
            Ok(Verdict::Forbidden(_)) => "forbidden",
            Err(_) => "error",
        };
        self.inner.metrics.answered(result);
        verdict
    }

    async fn decide(&self, check: ForwardCheck<'_>) -> Result<Verdict, DomainError> {
        let Some(token) = check.token else {
            return Ok(Verdict::SignIn);
        };
        let id_hash = self.inner.sessions.id_hash(token);
        let login = match self.inner.cache.get(&id_hash) {
            Some(Cached::SignedIn(login)) if self.still_open(&login) => login,
            Some(Cached::Nobody) => return Ok(Verdict::SignIn),
            _ => match self.read_store(&id_hash, check).await? {
                Some(login) => login,
                None => return Ok(Verdict::SignIn),
            },
        };
        self.touch_if_due(&id_hash, &login);
        let host = bare_host(check.host);
        let required = self.inner.policy.groups_for(&host);
        if required.is_empty() || login.groups.iter().any(|g| required.contains(g)) {
            return Ok(Verdict::Allowed(login));
        }
        if self.inner.audited.due(&id_hash, &host) {
            let record = self.record(
                &login.username,
                Some(&login.user_id),
                &host,
                "group_required",
                check,
            );
            self.inner.store.append_audit(&record).await?;
        }
        Ok(Verdict::Forbidden(login))
    }

    /// Whether a cached session is still within its limits.
    fn still_open(&self, login: &CachedLogin) -> bool {
        let policy = self.inner.sessions.policy();
        let last_seen = login.last_seen_at.load(Ordering::Relaxed);
        policy
            .closed(login.created_at, last_seen, self.inner.sessions.now())
            .is_none()
    }

    /// The session from the store, remembered on this node either way.
    async fn read_store(
        &self,
        id_hash: &str,
        check: ForwardCheck<'_>,
    ) -> Result<Option<Arc<CachedLogin>>, DomainError> {
        self.inner.metrics.read_store();
        let generation = self.inner.cache.generation();
        let found = self.inner.sessions.find_by_hash(id_hash).await?;
        let cached = match found {
            Ok((live, last_seen_at)) if live.level == Level::SignedIn => {
                let user = live.subject.0;
                let groups = self.groups_of(&user.id).await?;
                Cached::SignedIn(Arc::new(CachedLogin {
                    display_name: user.display_name.clone().unwrap_or_default(),
                    email: user.email.clone().unwrap_or_default(),
                    user_id: user.id,
                    username: user.username,
                    groups,
                    created_at: live.created_at,
                    last_seen_at: AtomicI64::new(last_seen_at),
                }))
            }
            Ok(_) => Cached::Nobody,
            Err((closed @ (Closed::Idle | Closed::TooOld), Some(user_id))) => {
                self.audit_expired(&user_id, closed, check).await?;
                Cached::Nobody
            }
            Err(_) => Cached::Nobody,
        };
        self.inner
            .cache
            .put(id_hash.to_string(), cached.clone(), generation);
        Ok(match cached {
            Cached::SignedIn(login) => Some(login),
            Cached::Nobody => None,
        })
    }

    /// Marks the session seen, at most once a minute, off the request's path.
    fn touch_if_due(&self, id_hash: &str, login: &Arc<CachedLogin>) {
        let last = login.last_seen_at.load(Ordering::Relaxed);
        if !self.inner.sessions.touch_due(last) {
            return;
        }
        let now = self.inner.sessions.now();
        // One request wins the right to touch; the others go on.
        if login
            .last_seen_at
            .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
            .is_err()
        {
            return;
        }
        let (sessions, id_hash) = (self.inner.sessions.clone(), id_hash.to_string());
        tokio::spawn(async move {
            if let Err(e) = sessions.touch(&id_hash).await {
                tracing::warn!(error = %e, "could not mark an /sso session seen");
            }
        });
    }

    async fn audit_expired(
        &self,
        user_id: &str,
        closed: Closed,
        check: ForwardCheck<'_>,
    ) -> Result<(), DomainError> {
        let name = self.inner.store.user_by_id(user_id).await?;
        let username = name.map_or_else(|| "-".to_string(), |u| u.username);
        let host = bare_host(check.host);
        tracing::info!(user = %username, host = %host, why = closed.as_str(), "forward auth: session expired");
        let record = self.record(&username, Some(user_id), &host, "session_expired", check);
        Ok(self.inner.store.append_audit(&record).await?)
    }

    fn record(
        &self,
        username: &str,
        user_id: Option<&str>,
        host: &str,
        reason: &str,
        check: ForwardCheck<'_>,
    ) -> AuditRecord {
        AuditRecord {
            id: new_id("aud"),
            at: self.inner.sessions.now(),
            username: username.to_string(),
            user_id: user_id.map(str::to_string),
            method: FORWARD_METHOD.to_string(),
            token_id: None,
            result: "rejected".to_string(),
            reason: Some(reason.to_string()),
            api_key: Some(format!("forward:{host}")),
            source_address: check.address.map(str::to_string),
            rule: None,
        }
    }
}
