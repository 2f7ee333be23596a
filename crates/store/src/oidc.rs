//! The OpenID Provider's tables (migration 0024): `oidc_clients`,
//! `oidc_keys`, `oidc_grants`, `oidc_refresh_tokens`.

use async_trait::async_trait;
use countersign_domain::model::oidc::{
    Grant, Redeemed, RefreshToken, RefreshUse, SigningAlg, StoredOidcClient, StoredSigningKey,
};
use countersign_domain::ports::{OidcStore, StoreResult};
use countersign_domain::StoreError;
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::{db_error, outside_text, SqlStore};

const GRANT_COLUMNS: &str = "id, code_hash, client, user_id, data, code_expires_at, expires_at, redeemed_at, revoked_at, created_at";

fn json_error(what: &str) -> impl Fn(serde_json::Error) -> StoreError + '_ {
    move |e| StoreError::Backend(format!("{what}: {e}"))
}

fn client_from_row(row: &AnyRow) -> StoreResult<StoredOidcClient> {
    let err = db_error("reading OpenID client");
    let config: String = row.try_get("config").map_err(&err)?;
    Ok(StoredOidcClient {
        id: row.try_get("id").map_err(&err)?,
        name: row.try_get("name").map_err(&err)?,
        secret_hash: row.try_get("secret_hash").map_err(&err)?,
        config: serde_json::from_str(&config).map_err(json_error("OpenID client config"))?,
        created_at: row.try_get("created_at").map_err(&err)?,
        updated_at: row.try_get("updated_at").map_err(&err)?,
    })
}

fn key_from_row(row: &AnyRow) -> StoreResult<StoredSigningKey> {
    let err = db_error("reading signing key");
    let alg: String = row.try_get("alg").map_err(&err)?;
    Ok(StoredSigningKey {
        kid: row.try_get("kid").map_err(&err)?,
        alg: SigningAlg::parse(&alg)
            .ok_or_else(|| StoreError::Backend(format!("unknown key alg '{alg}'")))?,
        sealed_private_key: row.try_get("private_key").map_err(&err)?,
        created_at: row.try_get("created_at").map_err(&err)?,
        retired_at: row.try_get("retired_at").map_err(&err)?,
    })
}

fn grant_from_row(row: &AnyRow) -> StoreResult<Grant> {
    let err = db_error("reading OpenID grant");
    let data: String = row.try_get("data").map_err(&err)?;
    Ok(Grant {
        id: row.try_get("id").map_err(&err)?,
        code_hash: row.try_get("code_hash").map_err(&err)?,
        client: row.try_get("client").map_err(&err)?,
        user_id: row.try_get("user_id").map_err(&err)?,
        data: serde_json::from_str(&data).map_err(json_error("OpenID grant data"))?,
        code_expires_at: row.try_get("code_expires_at").map_err(&err)?,
        expires_at: row.try_get("expires_at").map_err(&err)?,
        redeemed_at: row.try_get("redeemed_at").map_err(&err)?,
        revoked_at: row.try_get("revoked_at").map_err(&err)?,
        created_at: row.try_get("created_at").map_err(&err)?,
    })
}

impl SqlStore {
    async fn grant_by_code(&self, code_hash: &[u8]) -> StoreResult<Option<Grant>> {
        let row = sqlx::query(&format!(
            "SELECT {GRANT_COLUMNS} FROM oidc_grants WHERE code_hash = $1"
        ))
        .bind(code_hash.to_vec())
        .fetch_optional(&self.writer)
        .await
        .map_err(db_error("reading OpenID grant"))?;
        row.as_ref().map(grant_from_row).transpose()
    }
}

#[async_trait]
impl OidcStore for SqlStore {
    async fn insert_oidc_client(&self, c: &StoredOidcClient) -> StoreResult<()> {
        let config =
            serde_json::to_string(&c.config).map_err(json_error("OpenID client config"))?;
        sqlx::query("INSERT INTO oidc_clients (id, name, secret_hash, config, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(&c.id)
            .bind(&c.name)
            .bind(c.secret_hash.clone())
            .bind(config)
            .bind(c.created_at)
            .bind(c.updated_at)
            .execute(&self.writer)
            .await
            .map_err(db_error("OpenID client"))?;
        Ok(())
    }

    async fn update_oidc_client(&self, c: &StoredOidcClient) -> StoreResult<()> {
        let config =
            serde_json::to_string(&c.config).map_err(json_error("OpenID client config"))?;
        sqlx::query(
            "UPDATE oidc_clients SET secret_hash = $1, config = $2, updated_at = $3 WHERE id = $4",
        )
        .bind(c.secret_hash.clone())
        .bind(config)
        .bind(c.updated_at)
        .bind(&c.id)
        .execute(&self.writer)
        .await
        .map_err(db_error("updating OpenID client"))?;
        Ok(())
    }

    async fn list_oidc_clients(&self) -> StoreResult<Vec<StoredOidcClient>> {
        let rows = sqlx::query("SELECT id, name, secret_hash, config, created_at, updated_at FROM oidc_clients ORDER BY name")
            .fetch_all(&self.pool)
            .await
            .map_err(db_error("listing OpenID clients"))?;
        rows.iter().map(client_from_row).collect()
    }

    async fn oidc_client(&self, name: &str) -> StoreResult<Option<StoredOidcClient>> {
        let row = sqlx::query("SELECT id, name, secret_hash, config, created_at, updated_at FROM oidc_clients WHERE name = $1")
            .bind(outside_text(name))
            .fetch_optional(&self.pool)
            .await
            .map_err(db_error("reading OpenID client"))?;
        row.as_ref().map(client_from_row).transpose()
    }

    async fn delete_oidc_client(&self, name: &str) -> StoreResult<bool> {
        sqlx::query("DELETE FROM oidc_grants WHERE client = $1")
            .bind(outside_text(name))
            .execute(&self.writer)
            .await
            .map_err(db_error("deleting OpenID grants"))?;
        let done = sqlx::query("DELETE FROM oidc_clients WHERE name = $1")
            .bind(outside_text(name))
            .execute(&self.writer)
            .await
            .map_err(db_error("deleting OpenID client"))?;
        Ok(done.rows_affected() == 1)
    }

    async fn insert_signing_key(&self, k: &StoredSigningKey) -> StoreResult<()> {
        sqlx::query("INSERT INTO oidc_keys (kid, alg, private_key, created_at, retired_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(&k.kid)
            .bind(k.alg.as_str())
            .bind(k.sealed_private_key.clone())
            .bind(k.created_at)
            .bind(k.retired_at)
            .execute(&self.writer)
            .await
            .map_err(db_error("signing key"))?;
        Ok(())
    }

    async fn list_signing_keys(&self) -> StoreResult<Vec<StoredSigningKey>> {
        let rows = sqlx::query("SELECT kid, alg, private_key, created_at, retired_at FROM oidc_keys ORDER BY created_at DESC, kid")
            .fetch_all(&self.pool)
            .await
            .map_err(db_error("listing signing keys"))?;
        rows.iter().map(key_from_row).collect()
    }

    async fn retire_signing_keys(&self, alg: &str, except_kid: &str, now: i64) -> StoreResult<u64> {
        let done = sqlx::query("UPDATE oidc_keys SET retired_at = $1 WHERE alg = $2 AND kid <> $3 AND retired_at IS NULL")
            .bind(now)
            .bind(alg)
            .bind(except_kid)
            .execute(&self.writer)
            .await
            .map_err(db_error("retiring signing keys"))?;
        Ok(done.rows_affected())
    }

    async fn drop_signing_keys(&self, retired_before: i64) -> StoreResult<u64> {
        let done =
            sqlx::query("DELETE FROM oidc_keys WHERE retired_at IS NOT NULL AND retired_at < $1")
                .bind(retired_before)
                .execute(&self.writer)
                .await
                .map_err(db_error("dropping signing keys"))?;
        Ok(done.rows_affected())
    }

    async fn insert_grant(&self, g: &Grant) -> StoreResult<()> {
        let data = serde_json::to_string(&g.data).map_err(json_error("OpenID grant data"))?;
        sqlx::query(&format!("INSERT INTO oidc_grants ({GRANT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"))
            .bind(&g.id)
            .bind(g.code_hash.clone())
            .bind(&g.client)
            .bind(&g.user_id)
            .bind(data)
            .bind(g.code_expires_at)
            .bind(g.expires_at)
            .bind(g.redeemed_at)
            .bind(g.revoked_at)
            .bind(g.created_at)
            .execute(&self.writer)
            .await
            .map_err(db_error("OpenID grant"))?;
        Ok(())
    }

    async fn redeem_code(&self, code_hash: &[u8], now: i64) -> StoreResult<Redeemed> {
        let row = sqlx::query(&format!(
            "UPDATE oidc_grants SET redeemed_at = $1 WHERE code_hash = $2 AND redeemed_at IS NULL \
             AND revoked_at IS NULL AND code_expires_at > $1 RETURNING {GRANT_COLUMNS}"
        ))
        .bind(now)
        .bind(code_hash.to_vec())
        .fetch_optional(&self.writer)
        .await
        .map_err(db_error("redeeming OpenID code"))?;
        if let Some(row) = row {
            return Ok(Redeemed::Taken(grant_from_row(&row)?));
        }
        Ok(match self.grant_by_code(code_hash).await? {
            None => Redeemed::Unknown,
            Some(g) if g.redeemed_at.is_some() || g.revoked_at.is_some() => Redeemed::Replayed(g),
            Some(g) => Redeemed::Expired(g),
        })
    }

    async fn grant(&self, id: &str) -> StoreResult<Option<Grant>> {
        let row = sqlx::query(&format!(
            "SELECT {GRANT_COLUMNS} FROM oidc_grants WHERE id = $1"
        ))
        .bind(outside_text(id))
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error("reading OpenID grant"))?;
        row.as_ref().map(grant_from_row).transpose()
    }

    async fn revoke_grant(&self, id: &str, now: i64) -> StoreResult<()> {
        sqlx::query("UPDATE oidc_grants SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(now)
            .bind(id)
            .execute(&self.writer)
            .await
            .map_err(db_error("revoking OpenID grant"))?;
        Ok(())
    }

    async fn revoke_user_grants(&self, user_id: &str, now: i64) -> StoreResult<u64> {
        let done = sqlx::query(
            "UPDATE oidc_grants SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(user_id)
        .execute(&self.writer)
        .await
        .map_err(db_error("revoking OpenID grants"))?;
        Ok(done.rows_affected())
    }

    async fn revoke_session_grants(&self, session_hash: &str, now: i64) -> StoreResult<u64> {
        // The session's hash is inside the JSON; grants of one session are
        // few, and logout is rare: a LIKE on the user's grants is enough.
        let pattern = format!(
            "%\"session_hash\":\"{}\"%",
            session_hash.replace(['%', '_', '"', '\\'], "")
        );
        let done = sqlx::query(
            "UPDATE oidc_grants SET revoked_at = $1 WHERE revoked_at IS NULL AND data LIKE $2",
        )
        .bind(now)
        .bind(pattern)
        .execute(&self.writer)
        .await
        .map_err(db_error("revoking OpenID grants"))?;
        Ok(done.rows_affected())
    }

    async fn prune_grants(&self, before: i64) -> StoreResult<u64> {
        let done = sqlx::query("DELETE FROM oidc_grants WHERE expires_at < $1 OR (redeemed_at IS NULL AND code_expires_at < $1)")
            .bind(before)
            .execute(&self.writer)
            .await
            .map_err(db_error("pruning OpenID grants"))?;
        Ok(done.rows_affected())
    }

    async fn insert_refresh_token(&self, t: &RefreshToken) -> StoreResult<()> {
        sqlx::query("INSERT INTO oidc_refresh_tokens (token_hash, grant_id, expires_at, used_at, created_at) VALUES ($1, $2, $3, NULL, $4)")
            .bind(t.token_hash.clone())
            .bind(&t.grant_id)
            .bind(t.expires_at)
            .bind(t.created_at)
            .execute(&self.writer)
            .await
            .map_err(db_error("OpenID refresh token"))?;
        Ok(())
    }

    async fn use_refresh_token(&self, token_hash: &[u8], now: i64) -> StoreResult<RefreshUse> {
        let taken = sqlx::query("UPDATE oidc_refresh_tokens SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1 RETURNING grant_id")
            .bind(now)
            .bind(token_hash.to_vec())
            .fetch_optional(&self.writer)
            .await
            .map_err(db_error("using OpenID refresh token"))?;
        let (grant_id, used): (String, bool) = match taken {
            Some(row) => (
                row.try_get("grant_id").map_err(db_error("refresh token"))?,
                false,
            ),
            None => {
                let row = sqlx::query(
                    "SELECT grant_id, used_at FROM oidc_refresh_tokens WHERE token_hash = $1",
                )
                .bind(token_hash.to_vec())
                .fetch_optional(&self.writer)
                .await
                .map_err(db_error("reading OpenID refresh token"))?;
                let Some(row) = row else {
                    return Ok(RefreshUse::Unknown);
                };
                let used_at: Option<i64> =
                    row.try_get("used_at").map_err(db_error("refresh token"))?;
                if used_at.is_none() {
                    return Ok(RefreshUse::Dead);
                }
                (
                    row.try_get("grant_id").map_err(db_error("refresh token"))?,
                    true,
                )
            }
        };
        let Some(grant) = self.grant(&grant_id).await? else {
            return Ok(RefreshUse::Dead);
        };
        Ok(
            match (used, grant.revoked_at.is_some() || grant.expires_at <= now) {
                (true, _) => RefreshUse::Reused(grant),
                (false, true) => RefreshUse::Dead,
                (false, false) => RefreshUse::Taken(grant),
            },
        )
    }
}
