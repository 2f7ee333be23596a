//! The `audit` table: append-only, read newest first or, after a
//! position, oldest first. Pruned from the oldest end (`audit_retention.rs`).

use crate::SqlStore;
use async_trait::async_trait;
use countersign_domain::model::audit::AuditCount;
use countersign_domain::model::user::username_key;
use countersign_domain::ports::AuditStore;
use countersign_domain::ports::StoreResult;
use countersign_domain::{AuditQuery, AuditRecord};
use sqlx::any::AnyRow;
use sqlx::{AnyPool, Row};

use crate::{db_error, outside_text};

pub async fn append(pool: &AnyPool, r: &AuditRecord) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO audit (id, at, username, username_key, user_id, method, token_id, result, reason, api_key, source_address) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(&r.id)
    .bind(r.at)
    .bind(outside_text(&r.username))
    .bind(outside_text(&username_key(&r.username)))
    .bind(&r.user_id)
    .bind(&r.method)
    .bind(&r.token_id)
    .bind(&r.result)
    .bind(&r.reason)
    .bind(r.api_key.as_deref().map(outside_text))
    .bind(r.source_address.as_deref().map(outside_text))
    .execute(pool)
    .await
    .map_err(db_error("writing audit record"))?;
    Ok(())
}

pub async fn query(pool: &AnyPool, q: &AuditQuery) -> StoreResult<Vec<AuditRecord>> {
    Ok(page(pool, q).await?.into_iter().map(|(_, r)| r).collect())
}

/// Records with their position (`seq`), the cursor of the next page.
pub async fn page(pool: &AnyPool, q: &AuditQuery) -> StoreResult<Vec<(i64, AuditRecord)>> {
    let mut sql = String::from(
        "SELECT seq, id, at, username, user_id, method, token_id, result, reason, api_key, source_address FROM audit WHERE 1 = 1",
    );
    let mut texts: Vec<String> = Vec::new();
    if let Some(name) = &q.username {
        texts.push(outside_text(&username_key(name)));
        sql.push_str(&format!(" AND username_key = ${}", texts.len()));
    }
    if let Some(result) = &q.result {
        texts.push(outside_text(result));
        sql.push_str(&format!(" AND result = ${}", texts.len()));
    }
    for (column, value) in [
        ("reason", &q.reason),
        ("method", &q.method),
        ("api_key", &q.client),
    ] {
        if let Some(value) = value {
            texts.push(outside_text(value));
            sql.push_str(&format!(" AND {column} = ${}", texts.len()));
        }
    }
    if let Some(since) = q.since {
        sql.push_str(&format!(" AND at >= {since}"));
    }
    if let Some(until) = q.until {
        sql.push_str(&format!(" AND at < {until}"));
    }
    if let Some(before) = q.before_seq {
        sql.push_str(&format!(" AND seq < {before}"));
    }
    if let Some(after) = q.after_seq {
        sql.push_str(&format!(" AND seq > {after}"));
    }
    let order = if q.ascending() { "ASC" } else { "DESC" };
    sql.push_str(&format!(" ORDER BY seq {order} LIMIT {}", q.limit));
    let mut query = sqlx::query(&sql);
    for value in &texts {
        query = query.bind(value);
    }
    let rows = query
        .fetch_all(pool)
        .await
        .map_err(db_error("reading audit"))?;
    let err = db_error("reading audit");
    rows.iter()
        .map(|row| Ok((row.try_get::<i64, _>("seq").map_err(&err)?, from_row(row)?)))
        .collect()
}

pub async fn counts(pool: &AnyPool, since: i64) -> StoreResult<Vec<AuditCount>> {
    let rows = sqlx::query(
        "SELECT (at / 3600) * 3600 AS hour, result, reason, COUNT(*) AS n FROM audit \
         WHERE at >= $1 GROUP BY (at / 3600) * 3600, result, reason ORDER BY hour",
    )
    .bind(since)
    .fetch_all(pool)
    .await
    .map_err(db_error("counting audit records"))?;
    let err = db_error("counting audit records");
    rows.iter()
        .map(|row| {
            Ok(AuditCount {
                hour: row.try_get("hour").map_err(&err)?,
                result: row.try_get("result").map_err(&err)?,
                reason: row.try_get("reason").map_err(&err)?,
                count: row.try_get("n").map_err(&err)?,
            })
        })
        .collect()
}

fn from_row(row: &AnyRow) -> StoreResult<AuditRecord> {
    let err = db_error("reading audit");
    Ok(AuditRecord {
        id: row.try_get("id").map_err(&err)?,
        at: row.try_get("at").map_err(&err)?,
        username: row.try_get("username").map_err(&err)?,
        user_id: row.try_get("user_id").map_err(&err)?,
        method: row.try_get("method").map_err(&err)?,
        token_id: row.try_get("token_id").map_err(&err)?,
        result: row.try_get("result").map_err(&err)?,
        reason: row.try_get("reason").map_err(&err)?,
        api_key: row.try_get("api_key").map_err(&err)?,
        source_address: row.try_get("source_address").map_err(&err)?,
    })
}

#[async_trait]
impl AuditStore for SqlStore {
    async fn append_audit(&self, record: &AuditRecord) -> StoreResult<()> {
        append(&self.writer, record).await?;
        self.tap.recorded(record);
        Ok(())
    }
    async fn query_audit(&self, query: &AuditQuery) -> StoreResult<Vec<AuditRecord>> {
        self::query(&self.pool, query).await
    }
    async fn audit_page(&self, query: &AuditQuery) -> StoreResult<Vec<(i64, AuditRecord)>> {
        page(&self.pool, query).await
    }
    async fn audit_counts(&self, since: i64) -> StoreResult<Vec<AuditCount>> {
        counts(&self.pool, since).await
    }
}
