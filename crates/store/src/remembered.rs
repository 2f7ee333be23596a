//! The `remembered_devices` table: remembered browsers, found by the keyed
//! hash of their cookie's token.

use crate::SqlStore;
use async_trait::async_trait;
use countersign_domain::model::remembered::RememberedDevice;
use countersign_domain::ports::{RememberedStore, StoreResult};
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::{db_error, outside_text};

const COLUMNS: &str = "id, user_id, token_hash, label, created_at, last_used_at, expires_at";

fn from_row(row: &AnyRow) -> StoreResult<RememberedDevice> {
    let err = db_error("reading a remembered browser");
    Ok(RememberedDevice {
        id: row.try_get("id").map_err(&err)?,
        user_id: row.try_get("user_id").map_err(&err)?,
        token_hash: row.try_get("token_hash").map_err(&err)?,
        label: row.try_get("label").map_err(&err)?,
        created_at: row.try_get("created_at").map_err(&err)?,
        last_used_at: row.try_get("last_used_at").map_err(&err)?,
        expires_at: row.try_get("expires_at").map_err(&err)?,
    })
}

#[async_trait]
impl RememberedStore for SqlStore {
    async fn insert_remembered(&self, d: &RememberedDevice) -> StoreResult<()> {
        sqlx::query(&format!(
            "INSERT INTO remembered_devices ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"
        ))
        .bind(&d.id)
        .bind(&d.user_id)
        .bind(&d.token_hash)
        .bind(&d.label)
        .bind(d.created_at)
        .bind(d.last_used_at)
        .bind(d.expires_at)
        .execute(&self.writer)
        .await
        .map_err(db_error("remembering a browser"))?;
        Ok(())
    }

    async fn remembered_by_hash(&self, token_hash: &str) -> StoreResult<Option<RememberedDevice>> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM remembered_devices WHERE token_hash = $1"
        ))
        .bind(outside_text(token_hash))
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error("reading a remembered browser"))?;
        row.as_ref().map(from_row).transpose()
    }

    async fn remembered_of(&self, user_id: &str) -> StoreResult<Vec<RememberedDevice>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM remembered_devices WHERE user_id = $1 ORDER BY created_at DESC, id"
        ))
        .bind(outside_text(user_id))
        .fetch_all(&self.pool)
        .await
        .map_err(db_error("reading remembered browsers"))?;
        rows.iter().map(from_row).collect()
    }

    async fn touch_remembered(&self, id: &str, now: i64) -> StoreResult<()> {
        sqlx::query("UPDATE remembered_devices SET last_used_at = $1 WHERE id = $2")
            .bind(now)
            .bind(id)
            .execute(&self.writer)
            .await
            .map_err(db_error("using a remembered browser"))?;
        Ok(())
    }

    async fn delete_remembered(&self, user_id: &str, id: &str) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM remembered_devices WHERE user_id = $1 AND id = $2")
            .bind(outside_text(user_id))
            .bind(outside_text(id))
            .execute(&self.writer)
            .await
            .map_err(db_error("forgetting a browser"))?;
        Ok(done.rows_affected() > 0)
    }

    async fn delete_remembered_of(&self, user_id: &str) -> StoreResult<u64> {
        let done = sqlx::query("DELETE FROM remembered_devices WHERE user_id = $1")
            .bind(outside_text(user_id))
            .execute(&self.writer)
            .await
            .map_err(db_error("forgetting browsers"))?;
        Ok(done.rows_affected())
    }

    async fn delete_expired_remembered(&self, now: i64) -> StoreResult<u64> {
        let done = sqlx::query("DELETE FROM remembered_devices WHERE expires_at <= $1")
            .bind(now)
            .execute(&self.writer)
            .await
            .map_err(db_error("removing expired remembered browsers"))?;
        Ok(done.rows_affected())
    }
}
