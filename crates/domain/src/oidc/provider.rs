//! `OidcProvider`: what the endpoints call. Issues codes for a signed-in
//! user, answers the token and userinfo endpoints (`token.rs`,
//! `userinfo.rs`), publishes discovery and the JWKS, and checks logout
//! requests.

use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use serde_json::{json, Value};

use super::authorize::AuthorizeRequest;
use super::claims::{self, ACR_VALUES};
use super::clients::{OidcClients, SCOPES};
use super::error::{OAuthError, Refusal};
use super::jws;
use super::keys::OidcKeys;
use super::metrics::OidcMetrics;
use crate::crypto::SecretKey;
use crate::model::audit::AuditRecord;
use crate::model::decision::{DecisionWrite, Effects, FailureChange};
use crate::model::ids::new_id;
use crate::model::method::Method;
use crate::model::oidc::{Grant, GrantData, StoredOidcClient};
use crate::model::user::User;
use crate::ports::clock::Clock;
use crate::ports::OidcPorts;

/// Codes live this long (seconds).
pub const CODE_SECONDS: i64 = 60;

/// The user signed in at the SSO door, as the provider needs it.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub user: User,
    pub session_hash: Option<String>,
    pub auth_time: i64,
    pub methods: Vec<Method>,
    pub passkey: bool,
}

#[derive(Clone)]
pub struct OidcProvider {
    pub(super) store: Arc<dyn OidcPorts>,
    pub clients: OidcClients,
    pub keys: OidcKeys,
    pub(super) clock: Arc<dyn Clock>,
    pub(super) key: SecretKey,
    pub(super) issuer: String,
    pub metrics: Arc<OidcMetrics>,
}

impl OidcProvider {
    pub fn new(
        store: Arc<dyn OidcPorts>,
        clock: Arc<dyn Clock>,
        key: SecretKey,
        issuer: &str,
    ) -> Self {
        let clients = OidcClients::new(store.clone(), clock.clone(), key.clone());
        let keys = OidcKeys::new(store.clone(), clock.clone(), key.clone());
        OidcProvider {
            store,
            clients,
            keys,
            clock,
            key,
            issuer: issuer.trim_end_matches('/').to_string(),
            metrics: Arc::default(),
        }
    }

    /// `iss`: the public URL without a trailing slash.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// `/.well-known/openid-configuration`.
    pub fn discovery(&self) -> Value {
        let at = |path: &str| format!("{}{path}", self.issuer);
        json!({
            "issuer": self.issuer,
            "authorization_endpoint": at("/sso/authorize"),
            "token_endpoint": at("/sso/token"),
            "userinfo_endpoint": at("/sso/userinfo"),
            "jwks_uri": at("/sso/jwks"),
            "end_session_endpoint": at("/sso/end_session"),
            "scopes_supported": SCOPES,
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["ES256", "RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
            "code_challenge_methods_supported": ["S256"],
            "claims_supported": ["iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "azp", "at_hash",
                "amr", "acr", "preferred_username", "name", "email", "email_verified", "groups"],
            "acr_values_supported": ACR_VALUES,
            "prompt_values_supported": ["none", "login"],
            "claims_parameter_supported": false,
            "request_parameter_supported": false,
            "request_uri_parameter_supported": false,
            "authorization_response_iss_parameter_supported": true,
        })
    }

    pub async fn jwks(&self) -> Result<Value, Refusal> {
        Ok(self.keys.ring().await?.jwks())
    }

    /// The user's group names (for `groups` and the clients' allowed groups).
    pub(super) async fn groups(&self, user: &User) -> Result<Vec<String>, Refusal> {
        Ok(self.store.groups_of_user(&user.id).await?)
    }

    /// Whether the user may use this client (its allowed groups).
    pub(super) fn allowed(client: &StoredOidcClient, groups: &[String]) -> bool {
        let allowed = &client.config.allowed_groups;
        allowed.is_empty()
            || allowed
                .iter()
                .any(|g| groups.iter().any(|h| h.eq_ignore_ascii_case(g)))
    }

    /// A code for the signed-in user (`access_denied` when their groups
    /// may not use the client). The caller redirects with it.
    pub async fn issue_code(
        &self,
        req: &AuthorizeRequest,
        login: &SignedIn,
    ) -> Result<String, Refusal> {
        if !login.user.enabled {
            return Err(Refusal::new(
                OAuthError::AccessDenied,
                "the account is disabled",
            ));
        }
        let groups = self.groups(&login.user).await?;
        if !Self::allowed(&req.client, &groups) {
            tracing::info!(user = %login.user.username, client = %req.client.name, "OpenID sign-in refused: not in the client's groups");
            return Err(Refusal::new(
                OAuthError::AccessDenied,
                "you may not use this application",
            ));
        }
        let code = random_token();
        let now = self.clock.now();
        let c = &req.client.config;
        let amr = claims::amr(&login.methods, login.passkey);
        let grant = Grant {
            id: new_id("grt"),
            code_hash: self.hash_code(&code),
            client: req.client.name.clone(),
            user_id: login.user.id.clone(),
            data: GrantData {
                redirect_uri: req.redirect_uri.clone(),
                scope: req.scope.clone(),
                nonce: req.nonce.clone(),
                code_challenge: req.code_challenge.clone(),
                auth_time: login.auth_time,
                acr: claims::acr(&amr).to_string(),
                amr,
                session_hash: login.session_hash.clone(),
            },
            code_expires_at: now + CODE_SECONDS,
            expires_at: now
                + CODE_SECONDS
                + c.refresh_token_seconds.unwrap_or(c.access_token_seconds),
            redeemed_at: None,
            revoked_at: None,
            created_at: now,
        };
        self.store.insert_grant(&grant).await?;
        self.metrics.code_issued();
        Ok(code)
    }

    pub(super) fn hash_code(&self, code: &str) -> Vec<u8> {
        self.key.mac("oidc-code", code.as_bytes()).to_vec()
    }

    pub(super) fn hash_refresh(&self, token: &str) -> Vec<u8> {
        self.key.mac("oidc-refresh", token.as_bytes()).to_vec()
    }

    /// Writes the audit record of a token issued or refused (client `oidc:NAME`).
    pub(super) async fn audit(
        &self,
        grant_type: &str,
        client: &str,
        user: Option<&User>,
        refusal: Option<&Refusal>,
        address: Option<String>,
    ) {
        let record = AuditRecord {
            id: new_id("aud"),
            at: self.clock.now(),
            username: user.map(|u| u.username.clone()).unwrap_or_default(),
            user_id: user.map(|u| u.id.clone()),
            method: format!("oidc_{grant_type}"),
            token_id: None,
            result: if refusal.is_some() {
                "rejected"
            } else {
                "accepted"
            }
            .to_string(),
            reason: refusal.map(|r| r.error.code().to_string()),
            api_key: Some(format!(
                "oidc:{}",
                client.chars().take(64).collect::<String>()
            )),
            source_address: address,
            rule: None,
        };
        match refusal {
            Some(r) => self.metrics.refused(grant_type, r.error),
            None => self.metrics.issued(grant_type),
        }
        // Through the decisions' writer: on SQLite its group commit, shared
        // with every other decision, not a statement of its own.
        let (user_id, at) = (record.user_id.clone(), record.at);
        let effects = Effects {
            failure: FailureChange::None,
            audit: record,
        };
        let write = DecisionWrite::plain(user_id, at, effects);
        if let Err(e) = self.store.commit_decision(write).await {
            tracing::warn!(error = %e, "OpenID token audit record not written");
        }
    }

    /// RP-initiated logout: the client named by a valid `id_token_hint`
    /// (signed by one of our keys, issued here; it may have expired) and
    /// whether `post_logout_redirect_uri` is registered for it.
    pub async fn logout_target(
        &self,
        id_token_hint: Option<&str>,
        client_id: Option<&str>,
        post_logout: Option<&str>,
    ) -> Result<Option<String>, Refusal> {
        let from_hint = match id_token_hint {
            Some(hint) => Some(
                self.verify_own(hint, "JWT")
                    .await
                    .and_then(|c| c.get("aud").and_then(Value::as_str).map(str::to_string))
                    .ok_or_else(|| {
                        Refusal::new(
                            OAuthError::InvalidRequest,
                            "id_token_hint is not an ID token issued here",
                        )
                    })?,
            ),
            None => None,
        };
        let client = match (from_hint, client_id) {
            (Some(a), Some(b)) if a != b => {
                return Err(Refusal::new(
                    OAuthError::InvalidRequest,
                    "client_id does not match id_token_hint",
                ))
            }
            (Some(a), _) => a,
            (None, Some(b)) => b.to_string(),
            (None, None) => return Ok(None),
        };
        let Some(uri) = post_logout else {
            return Ok(None);
        };
        let Some(stored) = self.clients.find(&client).await? else {
            return Ok(None);
        };
        match stored
            .config
            .post_logout_redirect_uris
            .iter()
            .any(|u| u == uri)
        {
            true => Ok(Some(uri.to_string())),
            false => Err(Refusal::new(
                OAuthError::InvalidRequest,
                "post_logout_redirect_uri is not registered for this application",
            )),
        }
    }

    /// Ends the grants of an SSO session (after logout).
    pub async fn end_session(&self, session_hash: &str) -> Result<u64, Refusal> {
        Ok(self
            .store
            .revoke_session_grants(session_hash, self.clock.now())
            .await?)
    }

    /// Ends every grant of a user (disabled, signed out everywhere).
    pub async fn revoke_user(&self, user_id: &str) -> Result<u64, Refusal> {
        Ok(self
            .store
            .revoke_user_grants(user_id, self.clock.now())
            .await?)
    }

    /// The claims of a JWS signed by one of our keys, issued here, with `typ`.
    pub(super) async fn verify_own(&self, token: &str, typ: &str) -> Option<Value> {
        let parts = jws::parse(token)?;
        let ring = self.keys.ring().await.ok()?;
        let signer = ring.by_kid(parts.kid.as_deref()?)?;
        if parts.alg != signer.alg.as_str()
            || parts.typ.as_deref() != Some(typ)
            || !signer.verify(&parts)
        {
            return None;
        }
        (parts.claims.get("iss").and_then(Value::as_str) == Some(self.issuer.as_str()))
            .then_some(parts.claims)
    }
}

/// 256 random bits, base64url: codes, refresh tokens, token ids.
pub(super) fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}
