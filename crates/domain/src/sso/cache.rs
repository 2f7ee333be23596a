//! This node's cache of `/sso` sessions for forward auth, which a proxy
//! asks on every request: a signed-in browser is answered from memory for
//! [`LOGIN_TTL`], never from the store. A cookie that opens no session is
//! remembered too (tokens are random and new at every sign-in, so an
//! unknown one never becomes valid). Signing out on this node evicts at
//! once; on another node the session lives here until its entry expires.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// How long a session read from the store is trusted on this node.
pub const LOGIN_TTL: Duration = Duration::from_secs(10);
/// Past this many entries the cache is emptied (bounds memory under a
/// flood of made-up cookies).
const MAX_ENTRIES: usize = 100_000;

/// What forward auth needs of a signed-in session.
#[derive(Debug)]
pub struct CachedLogin {
    pub user_id: String,
    pub username: String,
    pub display_name: String,
    pub email: String,
    /// The user's groups, comma-separated (`Remote-Groups`).
    pub groups: Vec<String>,
    pub created_at: i64,
    /// When the store last marked the session seen (moved on by touches).
    pub last_seen_at: AtomicI64,
}

/// A cookie's session as this node remembers it.
#[derive(Debug, Clone)]
pub enum Cached {
    SignedIn(Arc<CachedLogin>),
    /// No signed-in session (unknown, ended, or still at the second factor).
    Nobody,
}

#[derive(Debug, Default)]
pub struct LoginCache {
    entries: RwLock<HashMap<String, (Cached, Instant)>>,
    generation: AtomicU64,
}

impl LoginCache {
    pub fn get(&self, id_hash: &str) -> Option<Cached> {
        let entries = self.entries.read().ok()?;
        let (cached, until) = entries.get(id_hash)?;
        (Instant::now() < *until).then(|| cached.clone())
    }

    /// Taken before reading the store, handed back to [`LoginCache::put`].
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// Keeps what the store said, unless an eviction came since `generation`.
    pub fn put(&self, id_hash: String, cached: Cached, generation: u64) {
        let Ok(mut entries) = self.entries.write() else {
            return;
        };
        if self.generation() != generation {
            return;
        }
        if entries.len() >= MAX_ENTRIES {
            let now = Instant::now();
            entries.retain(|_, (_, until)| *until > now);
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
        }
        entries.insert(id_hash, (cached, Instant::now() + LOGIN_TTL));
    }

    /// Forgets one session (signed out on this node).
    pub fn evict(&self, id_hash: &str) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        if let Ok(mut entries) = self.entries.write() {
            entries.remove(id_hash);
        }
    }

    /// Forgets every session of a user (signed out everywhere, disabled).
    pub fn evict_user(&self, user_id: &str) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        if let Ok(mut entries) = self.entries.write() {
            entries.retain(|_, (cached, _)| match cached {
                Cached::SignedIn(login) => login.user_id != user_id,
                Cached::Nobody => true,
            });
        }
    }

    pub fn len(&self) -> usize {
        self.entries.read().map_or(0, |e| e.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn login() -> Cached {
        Cached::SignedIn(Arc::new(CachedLogin {
            user_id: "usr_1".into(),
            username: "alice".into(),
            display_name: String::new(),
            email: String::new(),
            groups: Vec::new(),
            created_at: 0,
            last_seen_at: AtomicI64::new(0),
        }))
    }

    #[test]
    fn kept_until_evicted() {
        let cache = LoginCache::default();
        cache.put("h".into(), login(), cache.generation());
        assert!(matches!(cache.get("h"), Some(Cached::SignedIn(_))));
        cache.evict("h");
        assert!(cache.get("h").is_none());
        cache.put("h".into(), login(), cache.generation());
        cache.evict_user("usr_1");
        assert!(cache.is_empty());
    }

    #[test]
    fn a_read_from_before_an_eviction_is_not_kept() {
        let cache = LoginCache::default();
        let before = cache.generation();
        cache.evict("other");
        cache.put("h".into(), login(), before);
        assert!(cache.get("h").is_none());
    }
}
