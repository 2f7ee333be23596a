//! The `console_sessions` table.

use crate::SqlStore;
use async_trait::async_trait;
use countersign_domain::model::admin::Admin;
use countersign_domain::model::session::{ConsoleSession, Stage};
use countersign_domain::ports::SessionStore;
use countersign_domain::ports::StoreResult;
use countersign_domain::StoreError;
use sqlx::any::AnyRow;
use sqlx::{AnyPool, Row};

use crate::{db_error, outside_text};

pub async fn insert(pool: &AnyPool, s: &ConsoleSession) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO console_sessions (id_hash, admin_id, stage, csrf, created_at, last_seen_at, address) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&s.id_hash)
    .bind(&s.admin_id)
    .bind(s.stage.as_str())
    .bind(&s.csrf)
    .bind(s.created_at)
    .bind(s.last_seen_at)
    .bind(&s.address)
    .execute(pool)
    .await
    .map_err(db_error("console session"))?;
    Ok(())
}

pub async fn by_hash(pool: &AnyPool, id_hash: &str) -> StoreResult<Option<ConsoleSession>> {
    let row = sqlx::query(
        "SELECT id_hash, admin_id, stage, csrf, created_at, last_seen_at, address \
         FROM console_sessions WHERE id_hash = $1",
    )
    .bind(outside_text(id_hash))
    .fetch_optional(pool)
    .await
    .map_err(db_error("reading console session"))?;
    row.as_ref().map(from_row).transpose()
}

pub async fn touch(pool: &AnyPool, id_hash: &str, now: i64) -> StoreResult<()> {
    sqlx::query("UPDATE console_sessions SET last_seen_at = $1 WHERE id_hash = $2")
        .bind(now)
        .bind(id_hash)
        .execute(pool)
        .await
        .map_err(db_error("touching console session"))?;
    Ok(())
}

pub async fn delete(pool: &AnyPool, id_hash: &str) -> StoreResult<()> {
    sqlx::query("DELETE FROM console_sessions WHERE id_hash = $1")
        .bind(id_hash)
        .execute(pool)
        .await
        .map_err(db_error("ending console session"))?;
    Ok(())
}

pub async fn delete_of_admin(pool: &AnyPool, admin_id: &str) -> StoreResult<u64> {
    let done = sqlx::query("DELETE FROM console_sessions WHERE admin_id = $1")
        .bind(admin_id)
        .execute(pool)
        .await
        .map_err(db_error("ending administrator's sessions"))?;
    Ok(done.rows_affected())
}

pub async fn delete_stale(
    pool: &AnyPool,
    idle_before: i64,
    created_before: i64,
) -> StoreResult<u64> {
    let done =
        sqlx::query("DELETE FROM console_sessions WHERE last_seen_at <= $1 OR created_at <= $2")
            .bind(idle_before)
            .bind(created_before)
            .execute(pool)
            .await
            .map_err(db_error("removing expired console sessions"))?;
    Ok(done.rows_affected())
}

fn from_row(row: &AnyRow) -> StoreResult<ConsoleSession> {
    let err = db_error("reading console session");
    let stage: String = row.try_get("stage").map_err(&err)?;
    Ok(ConsoleSession {
        id_hash: row.try_get("id_hash").map_err(&err)?,
        admin_id: row.try_get("admin_id").map_err(&err)?,
        stage: Stage::parse(&stage)
            .ok_or_else(|| StoreError::Backend(format!("unknown session stage '{stage}'")))?,
        csrf: row.try_get("csrf").map_err(&err)?,
        created_at: row.try_get("created_at").map_err(&err)?,
        last_seen_at: row.try_get("last_seen_at").map_err(&err)?,
        address: row.try_get("address").map_err(&err)?,
    })
}

#[async_trait]
impl SessionStore for SqlStore {
    async fn insert_session(&self, session: &ConsoleSession) -> StoreResult<()> {
        insert(&self.writer, session).await
    }
    async fn session_by_hash(&self, id_hash: &str) -> StoreResult<Option<ConsoleSession>> {
        by_hash(&self.pool, id_hash).await
    }
    async fn touch_session(&self, id_hash: &str, now: i64) -> StoreResult<()> {
        touch(&self.writer, id_hash, now).await
    }
    async fn delete_session(&self, id_hash: &str) -> StoreResult<()> {
        delete(&self.writer, id_hash).await
    }
    async fn delete_admin_sessions(&self, admin_id: &str) -> StoreResult<u64> {
        delete_of_admin(&self.writer, admin_id).await
    }
    async fn delete_stale_sessions(
        &self,
        idle_before: i64,
        created_before: i64,
    ) -> StoreResult<u64> {
        delete_stale(&self.writer, idle_before, created_before).await
    }
    async fn set_admin_second_factor(&self, admin_id: &str, at: Option<i64>) -> StoreResult<()> {
        crate::admins::set_second_factor(&self.writer, admin_id, at).await
    }
    async fn admin_by_id(&self, admin_id: &str) -> StoreResult<Option<Admin>> {
        crate::admins::by_id(&self.pool, admin_id).await
    }
}
