//! The `meta` table: small facts about the installation.

use crate::SqlStore;
use async_trait::async_trait;
use countersign_domain::ports::MetaStore;
use countersign_domain::ports::StoreResult;
use sqlx::{AnyPool, Row};

use crate::db_error;

pub async fn get(pool: &AnyPool, key: &str) -> StoreResult<Option<Vec<u8>>> {
    let row = sqlx::query("SELECT value FROM meta WHERE key = $1")
        .bind(key)
        .fetch_optional(pool)
        .await
        .map_err(db_error("reading meta"))?;
    row.map(|r| r.try_get::<Vec<u8>, _>(0).map_err(db_error("reading meta")))
        .transpose()
}

pub async fn put(pool: &AnyPool, key: &str, value: &[u8]) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )
    .bind(key)
    .bind(value.to_vec())
    .execute(pool)
    .await
    .map_err(db_error("writing meta"))?;
    Ok(())
}

pub async fn put_once(pool: &AnyPool, key: &str, value: &[u8]) -> StoreResult<Vec<u8>> {
    sqlx::query("INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING")
        .bind(key)
        .bind(value.to_vec())
        .execute(pool)
        .await
        .map_err(db_error("writing meta"))?;
    get(pool, key)
        .await?
        .ok_or_else(|| countersign_domain::StoreError::Backend(format!("meta key {key} vanished")))
}

#[async_trait]
impl MetaStore for SqlStore {
    async fn get_meta(&self, key: &str) -> StoreResult<Option<Vec<u8>>> {
        get(&self.pool, key).await
    }
    async fn put_meta_once(&self, key: &str, value: &[u8]) -> StoreResult<Vec<u8>> {
        put_once(&self.writer, key, value).await
    }
    async fn put_meta(&self, key: &str, value: &[u8]) -> StoreResult<()> {
        put(&self.writer, key, value).await
    }
}
