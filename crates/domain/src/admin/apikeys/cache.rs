//! A short-lived cache of verified API keys, so a request need not read its
//! key from the store every time.
//!
//! Only live, verified keys are kept (never a refusal, so a new key works
//! at once), for [`KEY_TTL`] at most. A revoked key must stop working at
//! once on every node, so the cache answers only while someone guarantees
//! to tell it about revocations: it starts switched off, and the node's
//! listener for revocations (PostgreSQL `LISTEN`) switches it on once it
//! listens and off again (emptying it) when the connection drops. A
//! revocation, here or on another node, empties it. A read that started
//! before a revocation cannot put its stale key back: each emptying bumps a
//! generation that inserts are checked against.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::model::apikey::ApiKey;

/// How long a verified key is trusted without reading it again.
pub const KEY_TTL: Duration = Duration::from_secs(10);
/// Past this many keys the cache is emptied (keys are few; this bounds memory).
const MAX_KEYS: usize = 4096;

#[derive(Debug, Default)]
pub struct KeyCache {
    /// True while revocations reach this node (its listener is connected).
    live: AtomicBool,
    generation: AtomicU64,
    /// By the SHA-256 of the presented key text.
    keys: Mutex<HashMap<Vec<u8>, (ApiKey, Instant)>>,
}

impl KeyCache {
    pub fn new() -> Self {
        Self::default()
    }

    /// The listener is connected (`true`) or not: off, the cache is
    /// emptied and every request reads its key from the store.
    pub fn set_live(&self, live: bool) {
        if !live {
            self.forget_all();
        }
        self.live.store(live, Ordering::SeqCst);
    }

    pub fn is_live(&self) -> bool {
        self.live.load(Ordering::SeqCst)
    }

    /// After a revocation anywhere: no key is trusted without a read.
    pub fn forget_all(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        if let Ok(mut keys) = self.keys.lock() {
            keys.clear();
        }
    }

    /// Taken before reading a key, handed back to [`KeyCache::put`].
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    pub fn get(&self, digest: &[u8]) -> Option<ApiKey> {
        if !self.is_live() {
            return None;
        }
        let keys = self.keys.lock().ok()?;
        let (key, until) = keys.get(digest)?;
        (Instant::now() < *until).then(|| key.clone())
    }

    /// Keeps a verified live key, unless a revocation came since `generation`.
    pub fn put(&self, digest: Vec<u8>, key: &ApiKey, generation: u64) {
        if !self.is_live() || key.revoked_at.is_some() {
            return;
        }
        let Ok(mut keys) = self.keys.lock() else {
            return;
        };
        // Checked under the lock that forget_all takes after bumping it.
        if self.generation() != generation {
            return;
        }
        if keys.len() >= MAX_KEYS {
            keys.clear();
        }
        keys.insert(digest, (key.clone(), Instant::now() + KEY_TTL));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> ApiKey {
        ApiKey {
            id: "key_1".into(),
            name: "app".into(),
            prefix: "abc".into(),
            hash: vec![1],
            scopes: vec![crate::Scope::Verify],
            created_at: 0,
            revoked_at: None,
            last_used_at: None,
        }
    }

    #[test]
    fn answers_only_while_live_and_until_a_revocation() {
        let cache = KeyCache::new();
        cache.put(vec![1], &key(), cache.generation());
        assert!(cache.get(&[1]).is_none(), "off until the listener is up");
        cache.set_live(true);
        cache.put(vec![1], &key(), cache.generation());
        assert_eq!(cache.get(&[1]), Some(key()));
        cache.forget_all();
        assert!(cache.get(&[1]).is_none(), "a revocation empties it");
        cache.put(vec![1], &key(), cache.generation());
        cache.set_live(false);
        assert!(cache.get(&[1]).is_none(), "a lost listener empties it");
    }

    #[test]
    fn a_read_from_before_a_revocation_is_not_kept() {
        let cache = KeyCache::new();
        cache.set_live(true);
        let before = cache.generation();
        cache.forget_all();
        cache.put(vec![1], &key(), before);
        assert!(cache.get(&[1]).is_none());
    }
}
