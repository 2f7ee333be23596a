//! Signing in once at `/sso` for every web application behind Countersign:
//! the rules of the `/sso` door's sessions (users' sessions of kind `sso`,
//! [`crate::sessions::SsoSessions`]), where a browser may be sent after
//! signing in ([`SsoPolicy::redirect_allowed`]), and forward auth: the
//! check a reverse proxy makes on every request ([`Sso::forward`]),
//! answered from this node's cache ([`cache`]) with per-host group
//! requirements, its refusals audited here (client `forward:HOST`).

pub mod cache;
mod forward;
pub mod hosts;
pub mod metrics;

use std::sync::Arc;

pub use cache::{CachedLogin, LOGIN_TTL};
pub use forward::{ForwardCheck, Verdict};
pub use hosts::{bare_host, host_under, HostRule, SsoPolicy};
pub use metrics::ForwardMetrics;

use crate::model::error::DomainError;
use crate::ports::SessionsPorts;
use crate::sessions::SsoSessions;

/// Where a user's group names come from (the groups the directory gives,
/// or those kept in the store): `Remote-Groups` and the hosts' requirements.
#[async_trait::async_trait]
pub trait GroupNames: Send + Sync {
    async fn group_names(&self, user_id: &str) -> Result<Vec<String>, DomainError>;
}

/// The `/sso` door's service; cheap to clone.
#[derive(Clone)]
pub struct Sso {
    inner: Arc<Inner>,
}

struct Inner {
    sessions: SsoSessions,
    store: Arc<dyn SessionsPorts>,
    groups: Option<Arc<dyn GroupNames>>,
    policy: SsoPolicy,
    cache: cache::LoginCache,
    audited: forward::AuditedRecently,
    metrics: Arc<ForwardMetrics>,
}

impl Sso {
    pub fn new(sessions: SsoSessions, store: Arc<dyn SessionsPorts>, policy: SsoPolicy) -> Self {
        Self::build(sessions, store, policy, None)
    }

    /// With where users' groups come from (none: every user's groups are empty).
    pub fn with_groups(self, groups: Arc<dyn GroupNames>) -> Self {
        let inner = &self.inner;
        Self::build(
            inner.sessions.clone(),
            inner.store.clone(),
            inner.policy.clone(),
            Some(groups),
        )
    }

    fn build(
        sessions: SsoSessions,
        store: Arc<dyn SessionsPorts>,
        policy: SsoPolicy,
        groups: Option<Arc<dyn GroupNames>>,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                sessions,
                store,
                groups,
                policy,
                cache: cache::LoginCache::default(),
                audited: forward::AuditedRecently::default(),
                metrics: Arc::default(),
            }),
        }
    }

    pub fn sessions(&self) -> &SsoSessions {
        &self.inner.sessions
    }

    pub fn policy(&self) -> &SsoPolicy {
        &self.inner.policy
    }

    pub fn metrics(&self) -> &Arc<ForwardMetrics> {
        &self.inner.metrics
    }

    /// The user's group names (empty without a source of groups).
    pub async fn groups_of(&self, user_id: &str) -> Result<Vec<String>, DomainError> {
        match &self.inner.groups {
            Some(groups) => groups.group_names(user_id).await,
            None => Ok(Vec::new()),
        }
    }

    /// Ends the session stored under `id_hash` and forgets it on this node at once.
    pub async fn sign_out(&self, id_hash: &str) -> Result<(), DomainError> {
        self.inner.cache.evict(id_hash);
        self.inner.sessions.end(id_hash).await?;
        self.inner.cache.evict(id_hash);
        Ok(())
    }

    /// Signs the user out of `/sso` everywhere (this node forgets at once).
    pub async fn sign_out_everywhere(&self, user_id: &str) -> Result<u64, DomainError> {
        let closed = self.inner.sessions.close_all(user_id).await?;
        self.inner.cache.evict_user(user_id);
        Ok(closed)
    }
}
