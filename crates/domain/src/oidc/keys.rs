//! The ID token signing keys: made at first start (one ES256 key; an
//! RS256 key when a client needs one), sealed in the store, shared by every
//! node, rotated with overlap: a retired key no longer signs but stays in
//! the JWKS for [`OVERLAP_SECONDS`], longer than any token it signed lives.

use std::sync::{Arc, RwLock};

use serde::Serialize;
use serde_json::{json, Value};

use super::jws::{self, Signer};
use crate::crypto::SecretKey;
use crate::model::error::DomainError;
use crate::model::oidc::{SigningAlg, StoredSigningKey};
use crate::ports::clock::Clock;
use crate::ports::OidcStore;

/// How long a retired key stays published (tokens live at most a day).
pub const OVERLAP_SECONDS: i64 = 2 * 86_400;
/// How long a node trusts its copy of the keys before reading them again
/// (a rotation by the CLI or another node is seen within this).
const RELOAD_SECONDS: i64 = 10;

/// The keys open in memory.
#[derive(Debug, Default)]
pub struct KeyRing {
    /// Newest first; retired ones included while they are published.
    pub keys: Vec<(Arc<Signer>, Option<i64>)>,
    loaded_at: i64,
}

impl KeyRing {
    /// The newest active key of `alg`.
    pub fn active(&self, alg: SigningAlg) -> Option<Arc<Signer>> {
        self.keys
            .iter()
            .find(|(k, retired)| k.alg == alg && retired.is_none())
            .map(|(k, _)| k.clone())
    }

    pub fn by_kid(&self, kid: &str) -> Option<Arc<Signer>> {
        self.keys
            .iter()
            .find(|(k, _)| k.kid == kid)
            .map(|(k, _)| k.clone())
    }

    pub fn jwks(&self) -> Value {
        json!({"keys": self.keys.iter().map(|(k, _)| k.jwk()).collect::<Vec<_>>()})
    }
}

/// A key as `countersign oidc keys list` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct KeyView {
    pub kid: String,
    pub alg: &'static str,
    pub created_at: i64,
    pub retired_at: Option<i64>,
    /// Whether it is in the JWKS.
    pub published: bool,
    /// Whether it opens and signs (the doctor's check).
    pub usable: bool,
}

#[derive(Clone)]
pub struct OidcKeys {
    store: Arc<dyn OidcStore>,
    clock: Arc<dyn Clock>,
    key: SecretKey,
    ring: Arc<RwLock<Arc<KeyRing>>>,
}

const TABLE: &str = "oidc_keys";

impl OidcKeys {
    pub fn new(store: Arc<dyn OidcStore>, clock: Arc<dyn Clock>, key: SecretKey) -> Self {
        Self {
            store,
            clock,
            key,
            ring: Arc::default(),
        }
    }

    /// Makes the ES256 key when there is none (at start; every node after
    /// the first finds it) and loads the keys.
    pub async fn ensure(&self) -> Result<Arc<KeyRing>, DomainError> {
        let ring = self.reload().await?;
        if ring.active(SigningAlg::ES256).is_some() {
            return Ok(ring);
        }
        self.make(SigningAlg::ES256).await?;
        self.reload().await
    }

    /// The keys, read again when this node's copy is older than a few seconds.
    pub async fn ring(&self) -> Result<Arc<KeyRing>, DomainError> {
        let ring = self.current();
        if self.clock.now() - ring.loaded_at < RELOAD_SECONDS && !ring.keys.is_empty() {
            return Ok(ring);
        }
        self.reload().await
    }

    fn current(&self) -> Arc<KeyRing> {
        self.ring.read().map(|r| r.clone()).unwrap_or_default()
    }

    /// The key to sign with for `alg`; made now if there is none (RS256).
    pub async fn signer(&self, alg: SigningAlg) -> Result<Arc<Signer>, DomainError> {
        if let Some(signer) = self.ring().await?.active(alg) {
            return Ok(signer);
        }
        self.make(alg).await?;
        self.reload()
            .await?
            .active(alg)
            .ok_or_else(|| DomainError::invalid("oidc.keys", "no signing key"))
    }

    /// A new key of `alg`; the old ones of that alg retire (still published).
    pub async fn rotate(&self, alg: SigningAlg) -> Result<KeyView, DomainError> {
        let made = self.make(alg).await?;
        self.store
            .retire_signing_keys(alg.as_str(), &made.kid, made.created_at)
            .await?;
        self.store
            .drop_signing_keys(made.created_at - OVERLAP_SECONDS)
            .await?;
        self.reload().await?;
        Ok(KeyView {
            kid: made.kid,
            alg: alg.as_str(),
            created_at: made.created_at,
            retired_at: None,
            published: true,
            usable: true,
        })
    }

    pub async fn list(&self) -> Result<Vec<KeyView>, DomainError> {
        let now = self.clock.now();
        let stored = self.store.list_signing_keys().await?;
        Ok(stored
            .iter()
            .map(|k| KeyView {
                kid: k.kid.clone(),
                alg: k.alg.as_str(),
                created_at: k.created_at,
                retired_at: k.retired_at,
                published: published(k, now),
                usable: self
                    .open(k)
                    .map(|s| s.sign("JWT", &json!({})).is_ok())
                    .unwrap_or(false),
            })
            .collect())
    }

    async fn make(&self, alg: SigningAlg) -> Result<StoredSigningKey, DomainError> {
        let pkcs8 = match alg {
            SigningAlg::ES256 => jws::generate(alg)?,
            // Seconds of big-number work: off the async threads.
            SigningAlg::RS256 => tokio::task::spawn_blocking(move || jws::generate(alg))
                .await
                .map_err(|e| DomainError::invalid("oidc.keys", e.to_string()))??,
        };
        let kid = Signer::from_pkcs8(alg, &pkcs8)?.kid;
        let stored = StoredSigningKey {
            sealed_private_key: self.key.seal(TABLE, &kid, "private_key", &pkcs8),
            kid,
            alg,
            created_at: self.clock.now(),
            retired_at: None,
        };
        self.store.insert_signing_key(&stored).await?;
        tracing::info!(kid = %stored.kid, alg = alg.as_str(), "OpenID Provider signing key made");
        Ok(stored)
    }

    fn open(&self, k: &StoredSigningKey) -> Result<Signer, DomainError> {
        let pkcs8 = self
            .key
            .open(TABLE, &k.kid, "private_key", &k.sealed_private_key)?;
        Signer::from_pkcs8(k.alg, &pkcs8)
    }

    async fn reload(&self) -> Result<Arc<KeyRing>, DomainError> {
        let now = self.clock.now();
        let mut keys = Vec::new();
        for stored in self.store.list_signing_keys().await? {
            if !published(&stored, now) {
                continue;
            }
            // The same kid as before: keep the open key (no re-parse).
            let old = self.current().by_kid(&stored.kid);
            let signer = match old {
                Some(s) => s,
                None => Arc::new(self.open(&stored)?),
            };
            keys.push((signer, stored.retired_at));
        }
        let ring = Arc::new(KeyRing {
            keys,
            loaded_at: now,
        });
        if let Ok(mut slot) = self.ring.write() {
            *slot = ring.clone();
        }
        Ok(ring)
    }
}

fn published(k: &StoredSigningKey, now: i64) -> bool {
    k.retired_at.is_none_or(|at| now - at < OVERLAP_SECONDS)
}
