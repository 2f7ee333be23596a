//! The `sessions` table: every kind of browser session (administrators'
//! and users'). The subject is in `admin_id` or `user_id` as the kind says,
//! so each keeps its foreign key and its cascade.

use crate::SqlStore;
use async_trait::async_trait;
use countersign_domain::model::session::{Level, Session, SessionKind};
use countersign_domain::ports::SessionStore;
use countersign_domain::ports::StoreResult;
use countersign_domain::StoreError;
use sqlx::any::AnyRow;
use sqlx::{AnyPool, Row};

use crate::{db_error, outside_text};

const COLUMNS: &str = "id_hash, kind, COALESCE(admin_id, user_id) AS subject_id, level, csrf, \
    data, created_at, last_seen_at, address";

/// The column that holds a subject of `kind`.
fn subject_column(kind: SessionKind) -> &'static str {
    match kind {
        SessionKind::Administrator => "admin_id",
        SessionKind::User | SessionKind::Sso => "user_id",
    }
}

pub async fn insert(pool: &AnyPool, s: &Session) -> StoreResult<()> {
    let sql = format!(
        "INSERT INTO sessions (id_hash, kind, {}, level, csrf, data, created_at, last_seen_at, address) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        subject_column(s.kind)
    );
    sqlx::query(&sql)
        .bind(&s.id_hash)
        .bind(s.kind.as_str())
        .bind(&s.subject_id)
        .bind(s.level.as_str())
        .bind(&s.csrf)
        .bind(&s.data)
        .bind(s.created_at)
        .bind(s.last_seen_at)
        .bind(&s.address)
        .execute(pool)
        .await
        .map_err(db_error("session"))?;
    Ok(())
}

pub async fn by_hash(
    pool: &AnyPool,
    kind: SessionKind,
    id_hash: &str,
) -> StoreResult<Option<Session>> {
    let sql = format!("SELECT {COLUMNS} FROM sessions WHERE id_hash = $1 AND kind = $2");
    let row = sqlx::query(&sql)
        .bind(outside_text(id_hash))
        .bind(kind.as_str())
        .fetch_optional(pool)
        .await
        .map_err(db_error("reading session"))?;
    row.as_ref().map(from_row).transpose()
}

/// One statement binding `first` then `id_hash`.
async fn update(pool: &AnyPool, sql: &str, first: Bound<'_>, id_hash: &str) -> StoreResult<()> {
    let query = match first {
        Bound::Int(n) => sqlx::query(sql).bind(n),
        Bound::Text(text) => sqlx::query(sql).bind(text.map(str::to_string)),
    };
    query
        .bind(id_hash)
        .execute(pool)
        .await
        .map_err(db_error("updating session"))?;
    Ok(())
}

enum Bound<'a> {
    Int(i64),
    Text(Option<&'a str>),
}

pub async fn delete(pool: &AnyPool, id_hash: &str) -> StoreResult<()> {
    sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
        .bind(id_hash)
        .execute(pool)
        .await
        .map_err(db_error("ending session"))?;
    Ok(())
}

pub async fn delete_of(pool: &AnyPool, kind: SessionKind, subject_id: &str) -> StoreResult<u64> {
    let sql = format!(
        "DELETE FROM sessions WHERE kind = $1 AND {} = $2",
        subject_column(kind)
    );
    let done = sqlx::query(&sql)
        .bind(kind.as_str())
        .bind(subject_id)
        .execute(pool)
        .await
        .map_err(db_error("ending every session"))?;
    Ok(done.rows_affected())
}

pub async fn delete_others(
    pool: &AnyPool,
    kind: SessionKind,
    subject_id: &str,
    keep: &str,
) -> StoreResult<u64> {
    let sql = format!(
        "DELETE FROM sessions WHERE kind = $1 AND {} = $2 AND id_hash <> $3",
        subject_column(kind)
    );
    let done = sqlx::query(&sql)
        .bind(kind.as_str())
        .bind(subject_id)
        .bind(keep)
        .execute(pool)
        .await
        .map_err(db_error("ending the other sessions"))?;
    Ok(done.rows_affected())
}

pub async fn delete_stale(
    pool: &AnyPool,
    kind: SessionKind,
    idle_before: i64,
    created_before: i64,
) -> StoreResult<u64> {
    let done = sqlx::query(
        "DELETE FROM sessions WHERE kind = $1 AND (last_seen_at <= $2 OR created_at <= $3)",
    )
    .bind(kind.as_str())
    .bind(idle_before)
    .bind(created_before)
    .execute(pool)
    .await
    .map_err(db_error("removing expired sessions"))?;
    Ok(done.rows_affected())
}

fn from_row(row: &AnyRow) -> StoreResult<Session> {
    let err = db_error("reading session");
    let kind: String = row.try_get("kind").map_err(&err)?;
    let level: String = row.try_get("level").map_err(&err)?;
    Ok(Session {
        id_hash: row.try_get("id_hash").map_err(&err)?,
        kind: SessionKind::parse(&kind)
            .ok_or_else(|| StoreError::Backend(format!("unknown session kind '{kind}'")))?,
        subject_id: row.try_get("subject_id").map_err(&err)?,
        level: Level::parse(&level)
            .ok_or_else(|| StoreError::Backend(format!("unknown session level '{level}'")))?,
        csrf: row.try_get("csrf").map_err(&err)?,
        data: row.try_get("data").map_err(&err)?,
        created_at: row.try_get("created_at").map_err(&err)?,
        last_seen_at: row.try_get("last_seen_at").map_err(&err)?,
        address: row.try_get("address").map_err(&err)?,
    })
}

#[async_trait]
impl SessionStore for SqlStore {
    async fn insert_session(&self, session: &Session) -> StoreResult<()> {
        insert(&self.writer, session).await
    }
    async fn session(&self, kind: SessionKind, id_hash: &str) -> StoreResult<Option<Session>> {
        by_hash(&self.pool, kind, id_hash).await
    }
    async fn touch_session(&self, id_hash: &str, now: i64) -> StoreResult<()> {
        let sql = "UPDATE sessions SET last_seen_at = $1 WHERE id_hash = $2";
        update(&self.writer, sql, Bound::Int(now), id_hash).await
    }
    async fn save_session_data(&self, id_hash: &str, data: Option<&str>) -> StoreResult<()> {
        let sql = "UPDATE sessions SET data = $1 WHERE id_hash = $2";
        update(&self.writer, sql, Bound::Text(data), id_hash).await
    }
    async fn delete_session(&self, id_hash: &str) -> StoreResult<()> {
        delete(&self.writer, id_hash).await
    }
    async fn delete_sessions_of(&self, kind: SessionKind, subject_id: &str) -> StoreResult<u64> {
        delete_of(&self.writer, kind, subject_id).await
    }
    async fn delete_other_sessions(
        &self,
        kind: SessionKind,
        subject_id: &str,
        keep: &str,
    ) -> StoreResult<u64> {
        delete_others(&self.writer, kind, subject_id, keep).await
    }
    async fn delete_stale_sessions(
        &self,
        kind: SessionKind,
        idle_before: i64,
        created_before: i64,
    ) -> StoreResult<u64> {
        delete_stale(&self.writer, kind, idle_before, created_before).await
    }
}
