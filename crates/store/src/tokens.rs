//! The `tokens` table. The secret column holds the sealed seed only.

use crate::SqlStore;
use async_trait::async_trait;
use countersign_domain::ports::StoreResult;
use countersign_domain::ports::TokenStore;
use countersign_domain::{StoreError, StoredToken};
use sqlx::any::AnyRow;
use sqlx::{AnyPool, Row};

use crate::{db_error, outside_text};

pub async fn insert(pool: &AnyPool, token: &StoredToken) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO tokens (id, user_id, kind, algorithm, digits, period, last_used, drift, secret, created_at, last_used_at, serial, issuer) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(&token.id)
    .bind(&token.user_id)
    .bind(token.kind.to_string())
    .bind(token.algorithm.to_string())
    .bind(i64::from(token.digits))
    .bind(token.period as i64)
    .bind(token.last_used)
    .bind(token.drift)
    .bind(token.sealed_secret.clone())
    .bind(token.created_at)
    .bind(token.last_used_at)
    .bind(token.serial.as_deref())
    .bind(token.issuer.as_deref())
    .execute(pool)
    .await
    .map_err(db_error("token"))?;
    Ok(())
}

pub async fn of_user(pool: &AnyPool, user_id: &str) -> StoreResult<Vec<StoredToken>> {
    let rows = sqlx::query(
        "SELECT id, user_id, kind, algorithm, digits, period, last_used, drift, secret, created_at, last_used_at, serial, issuer \
         FROM tokens WHERE user_id = $1 ORDER BY created_at, id",
    )
    .bind(user_id)
    .fetch_all(pool)
    .await
    .map_err(db_error("reading tokens"))?;
    rows.iter().map(from_row).collect()
}

pub async fn delete(pool: &AnyPool, user_id: &str, token_id: &str) -> StoreResult<bool> {
    let done = sqlx::query("DELETE FROM tokens WHERE id = $1 AND user_id = $2")
        .bind(outside_text(token_id))
        .bind(user_id)
        .execute(pool)
        .await
        .map_err(db_error("deleting token"))?;
    Ok(done.rows_affected() == 1)
}

/// The compare-and-set that makes every code single-use: of two requests
/// with the same code, the database lets exactly one update the row.
pub async fn advance(
    pool: &AnyPool,
    token_id: &str,
    used: i64,
    drift: i64,
    now: i64,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE tokens SET last_used = $1, drift = $2, last_used_at = $3 WHERE id = $4 AND last_used < $1",
    )
    .bind(used)
    .bind(drift)
    .bind(now)
    .bind(token_id)
    .execute(pool)
    .await
    .map_err(db_error("recording a used code"))?;
    Ok(done.rows_affected() == 1)
}

pub async fn reset_counter(pool: &AnyPool, token_id: &str, last_used: i64) -> StoreResult<()> {
    sqlx::query("UPDATE tokens SET last_used = $1 WHERE id = $2")
        .bind(last_used)
        .bind(token_id)
        .execute(pool)
        .await
        .map_err(db_error("resetting token counter"))?;
    Ok(())
}

fn from_row(row: &AnyRow) -> StoreResult<StoredToken> {
    let user_id: String = row.try_get("user_id").map_err(db_error("reading token"))?;
    from_row_as(row, "", user_id)
}

/// Reads a token from columns named `{prefix}id`, `{prefix}kind`, ...
pub(crate) fn from_row_as(row: &AnyRow, prefix: &str, user_id: String) -> StoreResult<StoredToken> {
    let err = db_error("reading token");
    let col = |name: &str| format!("{prefix}{name}");
    let kind: String = row.try_get(col("kind").as_str()).map_err(&err)?;
    let algorithm: String = row.try_get(col("algorithm").as_str()).map_err(&err)?;
    Ok(StoredToken {
        id: row.try_get(col("id").as_str()).map_err(&err)?,
        user_id,
        kind: kind
            .parse()
            .map_err(|_| StoreError::Backend(format!("token has unknown type '{kind}'")))?,
        algorithm: algorithm.parse().map_err(|_| {
            StoreError::Backend(format!("token has unknown algorithm '{algorithm}'"))
        })?,
        digits: row
            .try_get::<i64, _>(col("digits").as_str())
            .map_err(&err)? as u32,
        period: row
            .try_get::<i64, _>(col("period").as_str())
            .map_err(&err)? as u64,
        last_used: row.try_get(col("last_used").as_str()).map_err(&err)?,
        drift: row.try_get(col("drift").as_str()).map_err(&err)?,
        sealed_secret: row.try_get(col("secret").as_str()).map_err(&err)?,
        created_at: row.try_get(col("created_at").as_str()).map_err(&err)?,
        last_used_at: row.try_get(col("last_used_at").as_str()).map_err(&err)?,
        serial: row.try_get(col("serial").as_str()).map_err(&err)?,
        issuer: row.try_get(col("issuer").as_str()).map_err(&err)?,
    })
}

#[async_trait]
impl TokenStore for SqlStore {
    async fn insert_token(&self, token: &StoredToken) -> StoreResult<()> {
        insert(&self.writer, token).await
    }
    async fn tokens_of_user(&self, user_id: &str) -> StoreResult<Vec<StoredToken>> {
        of_user(&self.pool, user_id).await
    }
    async fn delete_token(&self, user_id: &str, token_id: &str) -> StoreResult<bool> {
        delete(&self.writer, user_id, token_id).await
    }
    async fn advance_token(
        &self,
        token_id: &str,
        used: i64,
        drift: i64,
        now: i64,
    ) -> StoreResult<bool> {
        advance(&self.writer, token_id, used, drift, now).await
    }
    async fn reset_token_counter(&self, token_id: &str, last_used: i64) -> StoreResult<()> {
        reset_counter(&self.writer, token_id, last_used).await
    }
}
