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

/// Writes the record; its position (`seq`).
pub async fn append(pool: &AnyPool, r: &AuditRecord) -> StoreResult<i64> {
    let err = db_error("writing audit record");
    let row = sqlx::query(
        "INSERT INTO audit (id, at, username, username_key, user_id, method, token_id, result, reason, api_key, source_address, rule) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING seq",
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
    .bind(r.rule.as_deref())
    .fetch_one(pool)
    .await
    .map_err(&err)?;
    row.try_get("seq").map_err(&err)
}

pub async fn query(pool: &AnyPool, q: &AuditQuery) -> StoreResult<Vec<AuditRecord>> {
    Ok(page(pool, q).await?.into_iter().map(|(_, r)| r).collect())
}

/// How long a hole in the positions may be a PostgreSQL commit still under way.
const SETTLE_SECONDS: i64 = 5;

/// PostgreSQL: two decisions can commit out of position order, so a reader
/// walking forward could pass a position whose record is still committing.
/// The highest position after `after` that no commit can land below: the
/// first hole among the records of the last few seconds (older holes are
/// rolled back inserts or sequence jumps, and stay holes), else the newest.
async fn settled(pool: &AnyPool, after: i64) -> StoreResult<Option<i64>> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let err = db_error("reading audit");
    // The newest record old enough to be settled (a backward scan of the
    // primary key that stops at the first such record).
    let old: Option<i64> =
        sqlx::query("SELECT seq FROM audit WHERE at < $1 ORDER BY seq DESC LIMIT 1")
            .bind(now - SETTLE_SECONDS)
            .fetch_optional(pool)
            .await
            .map_err(&err)?
            .map(|row| row.try_get::<i64, _>(0))
            .transpose()
            .map_err(&err)?;
    let from = after.max(old.unwrap_or(0));
    let rows = sqlx::query("SELECT seq FROM audit WHERE seq > $1 ORDER BY seq")
        .bind(from)
        .fetch_all(pool)
        .await
        .map_err(&err)?;
    let mut expected = from + 1;
    for row in &rows {
        let seq: i64 = row.try_get(0).map_err(&err)?;
        if seq != expected {
            return Ok(Some(expected - 1));
        }
        expected += 1;
    }
    // Records committed after this read are past the horizon too: the
    // page's own read must not reach them before they were checked.
    Ok(Some(expected - 1))
}

/// Records with their position (`seq`), the cursor of the next page.
/// Forward pages on PostgreSQL stop before a commit that may still land.
pub async fn page_settled(pool: &AnyPool, q: &AuditQuery) -> StoreResult<Vec<(i64, AuditRecord)>> {
    let Some(after) = q.after_seq else {
        return page(pool, q).await;
    };
    match settled(pool, after).await? {
        Some(horizon) => {
            let limited = AuditQuery {
                before_seq: Some(q.before_seq.map_or(horizon + 1, |b| b.min(horizon + 1))),
                ..q.clone()
            };
            page(pool, &limited).await
        }
        None => page(pool, q).await,
    }
}

/// `Some(after)` for a forward read with no filter and no end.
fn unfiltered_forward(q: &AuditQuery) -> Option<i64> {
    let filtered = q.username.is_some()
        || q.result.is_some()
        || q.reason.is_some()
        || q.method.is_some()
        || q.client.is_some()
        || q.since.is_some()
        || q.until.is_some()
        || q.before_seq.is_some();
    q.after_seq.filter(|_| !filtered)
}

/// Records with their position (`seq`), the cursor of the next page.
pub async fn page(pool: &AnyPool, q: &AuditQuery) -> StoreResult<Vec<(i64, AuditRecord)>> {
    let mut sql = String::from(
        "SELECT seq, id, at, username, user_id, method, token_id, result, reason, api_key, source_address, rule FROM audit WHERE 1 = 1",
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
        rule: row.try_get("rule").map_err(&err)?,
    })
}

#[async_trait]
impl AuditStore for SqlStore {
    async fn append_audit(&self, record: &AuditRecord) -> StoreResult<()> {
        let seq = append(&self.writer, record).await?;
        if self.tap.is_set() {
            self.tap.recorded(seq, record.clone());
        }
        Ok(())
    }
    async fn query_audit(&self, query: &AuditQuery) -> StoreResult<Vec<AuditRecord>> {
        self::query(&self.pool, query).await
    }
    async fn audit_page(&self, query: &AuditQuery) -> StoreResult<Vec<(i64, AuditRecord)>> {
        match self.backend {
            crate::Backend::Postgres => page_settled(&self.pool, query).await,
            // One writer at a time: positions are committed in order.
            crate::Backend::Sqlite => match (&self.direct, unfiltered_forward(query)) {
                // The audit stream's read: on a direct connection, off the async threads.
                (Some(direct), Some(after)) => {
                    let direct = direct.clone();
                    let limit = query.limit;
                    tokio::task::spawn_blocking(move || direct.reads.audit_after(after, limit))
                        .await
                        .map_err(|e| {
                            countersign_domain::StoreError::Backend(format!("reading audit: {e}"))
                        })?
                }
                _ => page(&self.pool, query).await,
            },
        }
    }
    async fn audit_counts(&self, since: i64) -> StoreResult<Vec<AuditCount>> {
        counts(&self.pool, since).await
    }
}
