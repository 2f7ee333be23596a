//! The userinfo endpoint (OIDC Core 5.3): the access token is a JWS we
//! signed (`typ: at+jwt`); its grant must not be revoked and its user
//! must still be enabled, so a revocation holds at once.

use serde_json::{json, Map, Value};

use super::claims;
use super::error::{OAuthError, Refusal};
use super::provider::OidcProvider;

impl OidcProvider {
    /// The claims for a Bearer access token, or `invalid_token`.
    pub async fn userinfo(&self, access_token: &str) -> Result<Value, Refusal> {
        let invalid = || {
            Refusal::new(
                OAuthError::InvalidToken,
                "the access token is invalid, expired or revoked",
            )
        };
        let claims = self
            .verify_own(access_token, "at+jwt")
            .await
            .ok_or_else(invalid)?;
        let now = self.clock.now();
        let exp = claims
            .get("exp")
            .and_then(Value::as_i64)
            .ok_or_else(invalid)?;
        let jti = claims
            .get("jti")
            .and_then(Value::as_str)
            .ok_or_else(invalid)?;
        let grant_id = jti.split_once('.').map(|(g, _)| g).ok_or_else(invalid)?;
        if exp <= now {
            return Err(invalid());
        }
        let grant = self
            .store
            .grant(grant_id)
            .await?
            .filter(|g| g.revoked_at.is_none())
            .ok_or_else(invalid)?;
        let user = self
            .store
            .user_by_id(&grant.user_id)
            .await?
            .filter(|u| u.enabled)
            .ok_or_else(invalid)?;
        let mut out = Map::new();
        out.insert("sub".into(), json!(user.id));
        let groups = self.groups(&user).await?;
        claims::user_claims(&user, &grant.data.scope, &groups, &mut out);
        Ok(Value::Object(out))
    }
}
