//! The token endpoint (RFC 6749 §3.2, §4.1.3, §6; RFC 7636 §4.6): client
//! authentication, the code redeemed once (a second use revokes what the
//! first issued), rotating refresh tokens (a reused one revokes its
//! family), the tokens signed. Every answer is an audit record.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Serialize;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::claims;
use super::error::{OAuthError, Refusal};
use super::form::get;
use super::jws::half_hash;
use super::provider::{random_token, OidcProvider};
use crate::model::oidc::{Grant, Redeemed, RefreshToken, RefreshUse, SigningAlg, StoredOidcClient};
use crate::model::user::User;

/// A token request: the form's parameters and the Basic credentials, if any.
#[derive(Debug, Clone, Default)]
pub struct TokenRequest {
    pub params: Vec<(String, String)>,
    pub basic: Option<(String, String)>,
    pub address: Option<String>,
}

/// RFC 6749 §5.1 (and OIDC Core 3.1.3.3).
#[derive(Debug, Clone, Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    pub id_token: String,
    pub scope: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
}

fn refuse(error: OAuthError, words: &str) -> Refusal {
    Refusal::new(error, words)
}

impl OidcProvider {
    /// Answers a token request; refusals are audited and counted too.
    pub async fn token(&self, req: TokenRequest) -> Result<TokenResponse, Refusal> {
        let grant_type = get(&req.params, "grant_type").unwrap_or("").to_string();
        let label = match grant_type.as_str() {
            "authorization_code" | "refresh_token" => grant_type.as_str(),
            _ => "other",
        };
        let claimed = req
            .basic
            .as_ref()
            .map(|b| b.0.clone())
            .or_else(|| get(&req.params, "client_id").map(str::to_string))
            .unwrap_or_default();
        let mut user: Option<User> = None;
        let answer = self.token_inner(&req, &grant_type, &mut user).await;
        self.audit(
            label,
            &claimed,
            user.as_ref(),
            answer.as_ref().err(),
            req.address.clone(),
        )
        .await;
        answer
    }

    async fn token_inner(
        &self,
        req: &TokenRequest,
        grant_type: &str,
        user: &mut Option<User>,
    ) -> Result<TokenResponse, Refusal> {
        let client = self.authenticate(req).await?;
        match grant_type {
            "authorization_code" => self.exchange_code(&client, &req.params, user).await,
            "refresh_token" => self.refresh(&client, &req.params, user).await,
            "" => Err(refuse(OAuthError::InvalidRequest, "grant_type is missing")),
            _ => Err(refuse(
                OAuthError::UnsupportedGrantType,
                "only authorization_code and refresh_token",
            )),
        }
    }

    /// `client_secret_basic`, `client_secret_post`, or a public client by `client_id`.
    async fn authenticate(&self, req: &TokenRequest) -> Result<StoredOidcClient, Refusal> {
        let post = (
            get(&req.params, "client_id"),
            get(&req.params, "client_secret"),
        );
        let (id, secret) = match (&req.basic, post) {
            (Some(_), (_, Some(_))) => {
                return Err(refuse(
                    OAuthError::InvalidRequest,
                    "use one client authentication method",
                ))
            }
            (Some((id, _)), (Some(other), None)) if id != other => {
                return Err(refuse(
                    OAuthError::InvalidClient,
                    "client authentication failed",
                ))
            }
            (Some((id, secret)), _) => (id.as_str(), Some(secret.as_str())),
            (None, (Some(id), secret)) => (id, secret),
            (None, (None, _)) => {
                return Err(refuse(
                    OAuthError::InvalidClient,
                    "client authentication failed",
                ))
            }
        };
        let failed = || refuse(OAuthError::InvalidClient, "client authentication failed");
        let client = self.clients.find(id).await?.ok_or_else(failed)?;
        match (client.config.public, secret) {
            (true, None) => Ok(client),
            (false, Some(s)) if self.clients.secret_matches(&client, s) => Ok(client),
            _ => Err(failed()),
        }
    }

    async fn exchange_code(
        &self,
        client: &StoredOidcClient,
        params: &[(String, String)],
        user: &mut Option<User>,
    ) -> Result<TokenResponse, Refusal> {
        let code = get(params, "code")
            .ok_or_else(|| refuse(OAuthError::InvalidRequest, "code is missing"))?;
        let now = self.clock.now();
        let invalid = |w: &str| refuse(OAuthError::InvalidGrant, w);
        let grant = match self.store.redeem_code(&self.hash_code(code), now).await? {
            Redeemed::Taken(g) => g,
            Redeemed::Replayed(g) => {
                // RFC 6749 §4.1.2: what the first use issued is revoked.
                self.store.revoke_grant(&g.id, now).await?;
                *user = self.store.user_by_id(&g.user_id).await?;
                tracing::warn!(client = %client.name, grant = %g.id, "OpenID code used twice: its tokens are revoked");
                return Err(invalid(
                    "the code was already used; the tokens issued for it are revoked",
                ));
            }
            Redeemed::Expired(_) | Redeemed::Unknown => {
                return Err(invalid("the code is unknown or expired"))
            }
        };
        *user = self.store.user_by_id(&grant.user_id).await?;
        if grant.client != client.name {
            self.store.revoke_grant(&grant.id, now).await?;
            return Err(invalid("the code was issued to another client"));
        }
        if get(params, "redirect_uri") != Some(grant.data.redirect_uri.as_str()) {
            return Err(invalid(
                "redirect_uri does not match the authorization request",
            ));
        }
        check_verifier(
            grant.data.code_challenge.as_deref(),
            get(params, "code_verifier"),
        )?;
        let user = self.usable_user(user.as_ref(), client, &grant).await?;
        self.issue(client, &grant, &user, true).await
    }

    async fn refresh(
        &self,
        client: &StoredOidcClient,
        params: &[(String, String)],
        user: &mut Option<User>,
    ) -> Result<TokenResponse, Refusal> {
        let token = get(params, "refresh_token")
            .ok_or_else(|| refuse(OAuthError::InvalidRequest, "refresh_token is missing"))?;
        let now = self.clock.now();
        let invalid = |w: &str| refuse(OAuthError::InvalidGrant, w);
        let grant = match self
            .store
            .use_refresh_token(&self.hash_refresh(token), now)
            .await?
        {
            RefreshUse::Taken(g) => g,
            RefreshUse::Reused(g) => {
                self.store.revoke_grant(&g.id, now).await?;
                *user = self.store.user_by_id(&g.user_id).await?;
                tracing::warn!(client = %client.name, grant = %g.id, "OpenID refresh token reused: its family is revoked");
                return Err(invalid(
                    "the refresh token was already used; every token of its grant is revoked",
                ));
            }
            RefreshUse::Dead | RefreshUse::Unknown => {
                return Err(invalid("the refresh token is unknown, expired or revoked"))
            }
        };
        *user = self.store.user_by_id(&grant.user_id).await?;
        if grant.client != client.name {
            self.store.revoke_grant(&grant.id, now).await?;
            return Err(invalid("the refresh token was issued to another client"));
        }
        if let Some(scope) = get(params, "scope") {
            if scope
                .split(' ')
                .filter(|s| !s.is_empty())
                .any(|s| !grant.data.scope.iter().any(|g| g == s))
            {
                return Err(refuse(
                    OAuthError::InvalidScope,
                    "a refresh cannot widen the scope",
                ));
            }
        }
        let user = self.usable_user(user.as_ref(), client, &grant).await?;
        self.issue(client, &grant, &user, false).await
    }

    /// The grant's user, if still enabled and allowed; otherwise the grant ends.
    async fn usable_user(
        &self,
        user: Option<&User>,
        client: &StoredOidcClient,
        grant: &Grant,
    ) -> Result<User, Refusal> {
        let now = self.clock.now();
        let reason = match user {
            None => "the account no longer exists",
            Some(u) if !u.enabled => "the account is disabled",
            Some(u) if !Self::allowed(client, &self.groups(u).await?) => {
                "the account is no longer in the application's groups"
            }
            Some(u) => return Ok(u.clone()),
        };
        self.store.revoke_grant(&grant.id, now).await?;
        Err(refuse(OAuthError::InvalidGrant, reason))
    }

    async fn issue(
        &self,
        client: &StoredOidcClient,
        grant: &Grant,
        user: &User,
        first: bool,
    ) -> Result<TokenResponse, Refusal> {
        let now = self.clock.now();
        let c = &client.config;
        let scope = grant.data.scope.join(" ");
        let at_signer = self.keys.signer(SigningAlg::ES256).await?;
        let access = json!({
            "iss": self.issuer, "sub": user.id, "aud": client.name, "client_id": client.name,
            "iat": now, "exp": now + c.access_token_seconds, "scope": scope,
            "jti": format!("{}.{}", grant.id, &random_token()[..16]),
        });
        let access_token = at_signer.sign("at+jwt", &access)?;
        let mut id = Map::new();
        for (k, v) in [
            ("iss", json!(self.issuer)),
            ("sub", json!(user.id)),
            ("aud", json!(client.name)),
            ("azp", json!(client.name)),
            ("iat", json!(now)),
            ("exp", json!(now + c.id_token_seconds)),
            ("auth_time", json!(grant.data.auth_time)),
            ("amr", json!(grant.data.amr)),
            ("acr", json!(grant.data.acr)),
            ("at_hash", json!(half_hash(&access_token))),
        ] {
            id.insert(k.into(), v);
        }
        if let (true, Some(nonce)) = (first, &grant.data.nonce) {
            id.insert("nonce".into(), json!(nonce));
        }
        let groups = self.groups(user).await?;
        claims::user_claims(user, &grant.data.scope, &groups, &mut id);
        let id_token = self
            .keys
            .signer(c.signing_alg)
            .await?
            .sign("JWT", &Value::Object(id))?;
        let refresh_token = match c.refresh_token_seconds {
            Some(_) if grant.expires_at > now => {
                let token = random_token();
                let row = RefreshToken {
                    token_hash: self.hash_refresh(&token),
                    grant_id: grant.id.clone(),
                    expires_at: grant.expires_at,
                    created_at: now,
                };
                self.store.insert_refresh_token(&row).await?;
                Some(token)
            }
            _ => None,
        };
        Ok(TokenResponse {
            access_token,
            token_type: "Bearer",
            expires_in: c.access_token_seconds,
            id_token,
            scope,
            refresh_token,
        })
    }
}

/// RFC 7636 §4.6: BASE64URL(SHA256(verifier)) == challenge. A verifier
/// without a challenge (or the reverse) is refused too.
fn check_verifier(challenge: Option<&str>, verifier: Option<&str>) -> Result<(), Refusal> {
    let invalid = |w: &str| Err(refuse(OAuthError::InvalidGrant, w));
    match (challenge, verifier) {
        (None, None) => Ok(()),
        (Some(_), None) => invalid("code_verifier is missing (PKCE)"),
        (None, Some(_)) => {
            invalid("code_verifier given but the authorization request had no code_challenge")
        }
        (Some(c), Some(v)) => {
            let ok_form = (43..=128).contains(&v.len())
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
            let computed = URL_SAFE_NO_PAD.encode(Sha256::digest(v.as_bytes()));
            match ok_form && bool::from(computed.as_bytes().ct_eq(c.as_bytes())) {
                true => Ok(()),
                false => invalid("code_verifier does not match the code_challenge"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_s256_of_rfc7636_appendix_b() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(check_verifier(Some(challenge), Some(verifier)).is_ok());
        assert!(check_verifier(Some(challenge), Some(&verifier.replace('d', "e"))).is_err());
        assert!(check_verifier(Some(challenge), None).is_err());
        assert!(check_verifier(None, Some(verifier)).is_err());
    }
}
