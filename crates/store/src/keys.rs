//! The `api_keys` table: hashes only.

use countersign_domain::store::StoreResult;
use countersign_domain::{ApiKey, Scope};
use sqlx::any::AnyRow;
use sqlx::{AnyPool, Row};

use crate::{db_error, outside_text};

const COLUMNS: &str = "id, name, prefix, hash, scopes, created_at, revoked_at";

pub async fn insert(pool: &AnyPool, key: &ApiKey) -> StoreResult<()> {
    sqlx::query("INSERT INTO api_keys (id, name, prefix, hash, scopes, created_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(&key.id)
        .bind(&key.name)
        .bind(&key.prefix)
        .bind(key.hash.clone())
        .bind(Scope::join(&key.scopes))
        .bind(key.created_at)
        .bind(key.revoked_at)
        .execute(pool)
        .await
        .map_err(db_error("API key"))?;
    Ok(())
}

pub async fn by_prefix(pool: &AnyPool, prefix: &str) -> StoreResult<Option<ApiKey>> {
    let sql = format!("SELECT {COLUMNS} FROM api_keys WHERE prefix = $1");
    let row = sqlx::query(&sql)
        .bind(outside_text(prefix))
        .fetch_optional(pool)
        .await
        .map_err(db_error("reading API key"))?;
    row.map(|r| from_row(&r)).transpose()
}

pub async fn list(pool: &AnyPool) -> StoreResult<Vec<ApiKey>> {
    let sql = format!("SELECT {COLUMNS} FROM api_keys ORDER BY name, created_at");
    let rows = sqlx::query(&sql)
        .fetch_all(pool)
        .await
        .map_err(db_error("listing API keys"))?;
    rows.iter().map(from_row).collect()
}

pub async fn revoke(pool: &AnyPool, name: &str, now: i64) -> StoreResult<bool> {
    let done =
        sqlx::query("UPDATE api_keys SET revoked_at = $1 WHERE name = $2 AND revoked_at IS NULL")
            .bind(now)
            .bind(name)
            .execute(pool)
            .await
            .map_err(db_error("revoking API key"))?;
    Ok(done.rows_affected() > 0)
}

fn from_row(row: &AnyRow) -> StoreResult<ApiKey> {
    let err = db_error("reading API key");
    let scopes: String = row.try_get("scopes").map_err(&err)?;
    Ok(ApiKey {
        id: row.try_get("id").map_err(&err)?,
        name: row.try_get("name").map_err(&err)?,
        prefix: row.try_get("prefix").map_err(&err)?,
        hash: row.try_get("hash").map_err(&err)?,
        // A scope this version does not know is dropped rather than failing every request.
        scopes: scopes
            .split(',')
            .filter_map(|s| Scope::parse_list(s).ok())
            .flatten()
            .collect(),
        created_at: row.try_get("created_at").map_err(&err)?,
        revoked_at: row.try_get("revoked_at").map_err(&err)?,
    })
}
