//! Relying parties (OpenID Connect clients): checked here once for the
//! CLI, the API and the console; the secret is shown once and stored only
//! as a keyed hash (it is 256 random bits, or at least
//! [`MIN_SECRET_LEN`] characters the operator chose).

use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use serde::Serialize;
use subtle::ConstantTimeEq;

use crate::crypto::SecretKey;
use crate::model::error::{DomainError, StoreError};
use crate::model::ids::new_id;
use crate::model::oidc::{ClientConfig, SigningAlg, StoredOidcClient};
use crate::ports::clock::Clock;
use crate::ports::OidcStore;

/// A secret the operator chooses must be at least this long.
pub const MIN_SECRET_LEN: usize = 32;
/// Scopes a client may be given.
pub const SCOPES: [&str; 5] = ["openid", "profile", "email", "groups", "offline_access"];
/// The most a token may live (seconds).
pub const MAX_TOKEN_SECONDS: i64 = 86_400;
pub const MAX_REFRESH_SECONDS: i64 = 90 * 86_400;
const SECRET_PURPOSE: &str = "oidc-client-secret";

/// A client as an operator describes it (`None`: the default).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientSpec {
    pub name: String,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub public: bool,
    pub scopes: Option<Vec<String>>,
    pub allowed_groups: Vec<String>,
    pub signing_alg: Option<SigningAlg>,
    pub id_token_seconds: Option<i64>,
    pub access_token_seconds: Option<i64>,
    /// Issue refresh tokens living this long.
    pub refresh_token_seconds: Option<i64>,
}

/// A change to a client: only the fields given change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientPatch {
    pub redirect_uris: Option<Vec<String>>,
    pub post_logout_redirect_uris: Option<Vec<String>>,
    pub scopes: Option<Vec<String>>,
    pub allowed_groups: Option<Vec<String>>,
    pub signing_alg: Option<SigningAlg>,
    pub id_token_seconds: Option<i64>,
    pub access_token_seconds: Option<i64>,
    /// `Some(None)` turns refresh tokens off.
    pub refresh_token_seconds: Option<Option<i64>>,
}

/// What `list` and `show` give: never the secret.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ClientView {
    pub name: String,
    /// What relying parties send as `client_id` (the name).
    pub client_id: String,
    pub public: bool,
    #[serde(flatten)]
    pub config: ClientConfig,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A client just made (or its secret rotated): the secret, shown once.
#[derive(Debug, Clone, Serialize)]
pub struct ClientWithSecret {
    #[serde(flatten)]
    pub client: ClientView,
    pub client_secret: Option<String>,
}

#[derive(Clone)]
pub struct OidcClients {
    store: Arc<dyn OidcStore>,
    clock: Arc<dyn Clock>,
    key: SecretKey,
}

impl OidcClients {
    pub fn new(store: Arc<dyn OidcStore>, clock: Arc<dyn Clock>, key: SecretKey) -> Self {
        Self { store, clock, key }
    }

    /// Adds a client; a confidential one gets `secret` (checked) or a generated one.
    pub async fn add(
        &self,
        spec: ClientSpec,
        secret: Option<String>,
    ) -> Result<ClientWithSecret, DomainError> {
        let name = check_name(&spec.name)?;
        let config = ClientConfig {
            redirect_uris: spec.redirect_uris,
            post_logout_redirect_uris: spec.post_logout_redirect_uris,
            public: spec.public,
            scopes: spec
                .scopes
                .unwrap_or_else(|| SCOPES[..4].iter().map(|s| s.to_string()).collect()),
            allowed_groups: spec.allowed_groups,
            signing_alg: spec.signing_alg.unwrap_or_default(),
            id_token_seconds: spec.id_token_seconds.unwrap_or(300),
            access_token_seconds: spec.access_token_seconds.unwrap_or(600),
            refresh_token_seconds: spec.refresh_token_seconds,
        };
        let config = check_config(config)?;
        let secret = match (config.public, secret) {
            (true, Some(_)) => {
                return Err(DomainError::invalid(
                    "secret",
                    "a public client has no secret",
                ))
            }
            (true, None) => None,
            (false, Some(s)) => Some(check_secret(s)?),
            (false, None) => Some(generate_secret()),
        };
        let now = self.clock.now();
        let stored = StoredOidcClient {
            id: new_id("oidc"),
            name: name.clone(),
            secret_hash: secret.as_ref().map(|s| self.hash(s)),
            config,
            created_at: now,
            updated_at: now,
        };
        self.store
            .insert_oidc_client(&stored)
            .await
            .map_err(|e| match e {
                StoreError::Conflict(_) => {
                    DomainError::Conflict(format!("an OpenID client named '{name}' already exists"))
                }
                other => other.into(),
            })?;
        tracing::info!(client = %name, public = stored.config.public, "OpenID client added");
        Ok(ClientWithSecret {
            client: view(&stored),
            client_secret: secret,
        })
    }

    pub async fn update(&self, name: &str, patch: ClientPatch) -> Result<ClientView, DomainError> {
        let mut stored = self.stored(name).await?;
        let mut c = stored.config.clone();
        c.redirect_uris = patch.redirect_uris.unwrap_or(c.redirect_uris);
        c.post_logout_redirect_uris = patch
            .post_logout_redirect_uris
            .unwrap_or(c.post_logout_redirect_uris);
        c.scopes = patch.scopes.unwrap_or(c.scopes);
        c.allowed_groups = patch.allowed_groups.unwrap_or(c.allowed_groups);
        c.signing_alg = patch.signing_alg.unwrap_or(c.signing_alg);
        c.id_token_seconds = patch.id_token_seconds.unwrap_or(c.id_token_seconds);
        c.access_token_seconds = patch.access_token_seconds.unwrap_or(c.access_token_seconds);
        c.refresh_token_seconds = patch
            .refresh_token_seconds
            .unwrap_or(c.refresh_token_seconds);
        stored.config = check_config(c)?;
        stored.updated_at = self.clock.now();
        self.store.update_oidc_client(&stored).await?;
        Ok(view(&stored))
    }

    /// A new secret (given, or generated), shown once; the old one stops working.
    pub async fn rotate_secret(
        &self,
        name: &str,
        secret: Option<String>,
    ) -> Result<ClientWithSecret, DomainError> {
        let mut stored = self.stored(name).await?;
        if stored.config.public {
            return Err(DomainError::invalid(
                "public",
                "a public client has no secret",
            ));
        }
        let secret = match secret {
            Some(s) => check_secret(s)?,
            None => generate_secret(),
        };
        stored.secret_hash = Some(self.hash(&secret));
        stored.updated_at = self.clock.now();
        self.store.update_oidc_client(&stored).await?;
        tracing::info!(client = %name, "OpenID client secret rotated");
        Ok(ClientWithSecret {
            client: view(&stored),
            client_secret: Some(secret),
        })
    }

    pub async fn get(&self, name: &str) -> Result<ClientView, DomainError> {
        Ok(view(&self.stored(name).await?))
    }

    pub async fn list(&self) -> Result<Vec<ClientView>, DomainError> {
        Ok(self
            .store
            .list_oidc_clients()
            .await?
            .iter()
            .map(view)
            .collect())
    }

    pub async fn remove(&self, name: &str) -> Result<(), DomainError> {
        match self.store.delete_oidc_client(name).await? {
            true => Ok(()),
            false => Err(DomainError::not_found("OpenID client", name)),
        }
    }

    /// The stored client, or `None` (the endpoints decide what to answer).
    pub async fn find(&self, name: &str) -> Result<Option<StoredOidcClient>, DomainError> {
        if name.is_empty() || name.len() > 64 {
            return Ok(None);
        }
        Ok(self.store.oidc_client(name).await?)
    }

    /// Whether `secret` is this confidential client's secret (constant time).
    pub fn secret_matches(&self, client: &StoredOidcClient, secret: &str) -> bool {
        match &client.secret_hash {
            Some(hash) => bool::from(self.hash(secret).as_slice().ct_eq(hash)),
            None => false,
        }
    }

    async fn stored(&self, name: &str) -> Result<StoredOidcClient, DomainError> {
        self.find(name)
            .await?
            .ok_or_else(|| DomainError::not_found("OpenID client", name))
    }

    fn hash(&self, secret: &str) -> Vec<u8> {
        self.key.mac(SECRET_PURPOSE, secret.as_bytes()).to_vec()
    }
}

fn view(c: &StoredOidcClient) -> ClientView {
    ClientView {
        name: c.name.clone(),
        client_id: c.name.clone(),
        public: c.config.public,
        config: c.config.clone(),
        created_at: c.created_at,
        updated_at: c.updated_at,
    }
}

fn generate_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

fn check_name(name: &str) -> Result<String, DomainError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    match ok {
        true => Ok(name.to_string()),
        false => Err(DomainError::invalid(
            "name",
            "1 to 64 letters, digits, '-', '_' or '.' (it is the client_id)",
        )),
    }
}

fn check_secret(secret: String) -> Result<String, DomainError> {
    let secret = secret.trim().to_string();
    if secret.len() < MIN_SECRET_LEN {
        return Err(DomainError::invalid("secret", format!("must be at least {MIN_SECRET_LEN} characters; use a random one (or let Countersign make it)")));
    }
    if secret.len() > 256 || !secret.chars().all(|c| c.is_ascii_graphic()) {
        return Err(DomainError::invalid(
            "secret",
            "must be at most 256 printable ASCII characters without spaces",
        ));
    }
    Ok(secret)
}

/// Checks an absolute URI for redirects: a scheme, no fragment, no spaces.
pub fn check_uri(field: &str, uri: &str) -> Result<(), DomainError> {
    let scheme_ok = uri.split_once("://").is_some_and(|(s, rest)| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
            && !rest.is_empty()
    });
    if !scheme_ok
        || uri.contains('#')
        || uri.len() > 2000
        || uri.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(DomainError::invalid(
            field,
            format!("'{uri}' is not an absolute URI without a fragment"),
        ));
    }
    Ok(())
}

fn check_config(mut c: ClientConfig) -> Result<ClientConfig, DomainError> {
    if c.redirect_uris.is_empty() {
        return Err(DomainError::invalid(
            "redirect_uris",
            "give at least one redirect URI",
        ));
    }
    for uri in &c.redirect_uris {
        check_uri("redirect_uris", uri)?;
    }
    for uri in &c.post_logout_redirect_uris {
        check_uri("post_logout_redirect_uris", uri)?;
    }
    if !c.scopes.iter().any(|s| s == "openid") {
        c.scopes.insert(0, "openid".to_string());
    }
    if let Some(bad) = c.scopes.iter().find(|s| !SCOPES.contains(&s.as_str())) {
        return Err(DomainError::invalid(
            "scopes",
            format!("unknown scope '{bad}' (known: {})", SCOPES.join(" ")),
        ));
    }
    for (field, seconds, max) in [
        (
            "id_token_seconds",
            Some(c.id_token_seconds),
            MAX_TOKEN_SECONDS,
        ),
        (
            "access_token_seconds",
            Some(c.access_token_seconds),
            MAX_TOKEN_SECONDS,
        ),
        (
            "refresh_token_seconds",
            c.refresh_token_seconds,
            MAX_REFRESH_SECONDS,
        ),
    ] {
        if seconds.is_some_and(|s| !(60..=max).contains(&s)) {
            return Err(DomainError::invalid(
                field,
                format!("between 60 and {max} seconds"),
            ));
        }
    }
    if c.allowed_groups
        .iter()
        .any(|g| g.trim().is_empty() || g.len() > 256)
    {
        return Err(DomainError::invalid(
            "allowed_groups",
            "group names are 1 to 256 characters",
        ));
    }
    c.scopes.dedup();
    Ok(c)
}
