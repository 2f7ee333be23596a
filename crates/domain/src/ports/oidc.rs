use crate::model::oidc::{
    Grant, Redeemed, RefreshToken, RefreshUse, StoredOidcClient, StoredSigningKey,
};
use crate::ports::StoreResult;
use async_trait::async_trait;

/// The OpenID Provider's clients, keys, grants and refresh tokens.
#[async_trait]
pub trait OidcStore: Send + Sync {
    async fn insert_oidc_client(&self, client: &StoredOidcClient) -> StoreResult<()>;
    /// Rewrites the client with this id (secret hash, config, updated_at).
    async fn update_oidc_client(&self, client: &StoredOidcClient) -> StoreResult<()>;
    async fn list_oidc_clients(&self) -> StoreResult<Vec<StoredOidcClient>>;
    async fn oidc_client(&self, name: &str) -> StoreResult<Option<StoredOidcClient>>;
    /// Removes the client and its grants; false when there was none.
    async fn delete_oidc_client(&self, name: &str) -> StoreResult<bool>;

    async fn insert_signing_key(&self, key: &StoredSigningKey) -> StoreResult<()>;
    /// Every key, newest first.
    async fn list_signing_keys(&self) -> StoreResult<Vec<StoredSigningKey>>;
    /// Marks the active keys of `alg` created before `before` retired at `now`.
    async fn retire_signing_keys(&self, alg: &str, before_kid: &str, now: i64) -> StoreResult<u64>;
    /// Removes keys retired before `before`.
    async fn drop_signing_keys(&self, retired_before: i64) -> StoreResult<u64>;

    async fn insert_grant(&self, grant: &Grant) -> StoreResult<()>;
    /// The code's grant, redeemed now if it was unused and unexpired (one
    /// conditional UPDATE: of two concurrent redeemers one wins).
    async fn redeem_code(&self, code_hash: &[u8], now: i64) -> StoreResult<Redeemed>;
    async fn grant(&self, id: &str) -> StoreResult<Option<Grant>>;
    /// Ends the grant and every token issued for it.
    async fn revoke_grant(&self, id: &str, now: i64) -> StoreResult<()>;
    /// Ends every grant of the user (disabled, signed out everywhere).
    async fn revoke_user_grants(&self, user_id: &str, now: i64) -> StoreResult<u64>;
    /// Ends every grant of one SSO session (RP-initiated logout).
    async fn revoke_session_grants(&self, session_hash: &str, now: i64) -> StoreResult<u64>;
    /// Removes grants whose codes were never redeemed or that ended before `before`.
    async fn prune_grants(&self, before: i64) -> StoreResult<u64>;

    async fn insert_refresh_token(&self, token: &RefreshToken) -> StoreResult<()>;
    /// Uses the refresh token once (conditional UPDATE of `used_at`).
    async fn use_refresh_token(&self, token_hash: &[u8], now: i64) -> StoreResult<RefreshUse>;
}
