//! API keys: bearer secrets for applications and scripts, stored as hashes.
//!
//! A key reads `cs_<prefix>_<secret>`. The prefix finds the row; the SHA-256
//! of the whole key is compared in constant time. Keys carry 160 random
//! bits, so a fast hash is enough (no password stretching needed).

use crate::model::apikey::{ApiKey, Scope};

pub mod cache;

use std::sync::Arc;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::admin::apikeys::cache::KeyCache;
use crate::model::error::DomainError;
use crate::model::ids::random_text;
use crate::ports::clock::Clock;
use crate::ports::ApiKeyStore;

/// Creating, checking and revoking API keys.
#[derive(Clone)]
pub struct ApiKeys {
    store: Arc<dyn ApiKeyStore>,
    clock: Arc<dyn Clock>,
    cache: Option<Arc<KeyCache>>,
    /// When this node last wrote each key's use (key id -> Unix seconds).
    last_noted: Arc<std::sync::Mutex<std::collections::HashMap<String, i64>>>,
}

/// How often a key's last use is written.
const USE_NOTED_EVERY: i64 = 60;

impl ApiKeys {
    pub fn new(store: Arc<dyn ApiKeyStore>, clock: Arc<dyn Clock>) -> Self {
        Self {
            store,
            clock,
            cache: None,
            last_noted: Arc::default(),
        }
    }

    /// Checks keys through `cache` (see [`KeyCache`] for when it answers).
    pub fn with_cache(mut self, cache: Arc<KeyCache>) -> Self {
        self.cache = Some(cache);
        self
    }

    /// The cache, for the listener that tells it about revocations.
    pub fn cache(&self) -> Option<&Arc<KeyCache>> {
        self.cache.as_ref()
    }

    /// Makes a key; returns it with the only copy of its secret text.
    pub async fn create(
        &self,
        name: &str,
        scopes: Vec<Scope>,
    ) -> Result<(ApiKey, String), DomainError> {
        let name = name.trim();
        if name.is_empty() || name.len() > 128 || name.chars().any(char::is_control) {
            return Err(DomainError::invalid(
                "name",
                "give the key a name of 1 to 128 printable characters",
            ));
        }
        let prefix = random_text(8);
        let plain = format!("cs_{prefix}_{}", random_text(32));
        let key = ApiKey {
            id: crate::model::ids::new_id("key"),
            name: name.to_string(),
            prefix,
            hash: hash(&plain),
            scopes,
            created_at: self.clock.now(),
            revoked_at: None,
            last_used_at: None,
        };
        self.store.insert_api_key(&key).await.map_err(|e| match e {
            crate::StoreError::Conflict(_) => DomainError::Conflict(format!(
                "an API key named '{name}' already exists: pick another name or revoke it first"
            )),
            other => other.into(),
        })?;
        Ok((key, plain))
    }

    /// The live key whose text this is, if any.
    pub async fn authenticate(&self, presented: &str) -> Result<Option<ApiKey>, DomainError> {
        let Some(prefix) = presented
            .strip_prefix("cs_")
            .and_then(|rest| rest.split_once('_'))
            .map(|(prefix, _)| prefix)
        else {
            return Ok(None);
        };
        let digest = hash(presented);
        if let Some(key) = self.cache.as_ref().and_then(|c| c.get(&digest)) {
            self.note_use(&key).await;
            return Ok(Some(key));
        }
        let generation = self.cache.as_ref().map(|c| c.generation());
        let Some(key) = self.store.api_key_by_prefix(prefix).await? else {
            return Ok(None);
        };
        let matches: bool = key.hash.ct_eq(&digest).into();
        if !matches || key.revoked_at.is_some() {
            return Ok(None);
        }
        if let (Some(cache), Some(generation)) = (&self.cache, generation) {
            cache.put(digest, &key, generation);
        }
        self.note_use(&key).await;
        Ok(Some(key))
    }

    /// Records the key's use at most once a minute (per node): a write per
    /// request would cost the hot path more than the answer is worth.
    async fn note_use(&self, key: &ApiKey) {
        let now = self.clock.now();
        let due = match self.last_noted.lock() {
            Ok(mut noted) => match noted.get(&key.id) {
                Some(at) if now - at < USE_NOTED_EVERY => false,
                _ => {
                    noted.insert(key.id.clone(), now);
                    true
                }
            },
            Err(_) => false,
        };
        if due {
            if let Err(e) = self.store.touch_api_key(&key.id, now).await {
                tracing::warn!(key = %key.name, error = %e, "cannot record the API key's last use");
            }
        }
    }

    pub async fn list(&self) -> Result<Vec<ApiKey>, DomainError> {
        Ok(self.store.list_api_keys().await?)
    }

    pub async fn revoke(&self, name: &str) -> Result<(), DomainError> {
        let revoked = self.store.revoke_api_key(name, self.clock.now()).await?;
        // This node at once; the store tells the others (PostgreSQL NOTIFY).
        if let Some(cache) = &self.cache {
            cache.forget_all();
        }
        if revoked {
            Ok(())
        } else {
            Err(DomainError::not_found("API key", name))
        }
    }
}

fn hash(text: &str) -> Vec<u8> {
    Sha256::digest(text.as_bytes()).to_vec()
}

#[cfg(test)]
mod tests {
    use super::Scope;

    #[test]
    fn scopes_parse() {
        assert_eq!(
            Scope::parse_list("verify, admin").expect("ok"),
            vec![Scope::Verify, Scope::Admin]
        );
        assert!(Scope::parse_list("root").is_err());
        assert!(Scope::parse_list("").is_err());
        assert_eq!(Scope::join(&[Scope::Verify, Scope::Admin]), "verify,admin");
    }
}
