//! The `messages` table: the outbox.

use crate::SqlStore;
use async_trait::async_trait;
use countersign_domain::model::messages::{Delivery, MessageKind, MessageStatus, OutboxMessage};
use countersign_domain::ports::OutboxStore;
use countersign_domain::ports::StoreResult;
use countersign_domain::StoreError;
use sqlx::any::AnyRow;
use sqlx::{AnyPool, Row};

use crate::{db_error, outside_text};

const COLUMNS: &str = "id, kind, purpose, recipient, sealed, status, attempts, next_attempt_at, last_error, created_at, sent_at";

pub(crate) fn insert_query(m: &OutboxMessage) -> crate::users::AnyQuery<'_> {
    // COLUMNS, spelled out: a query's text must outlive it.
    sqlx::query(
        "INSERT INTO messages (id, kind, purpose, recipient, sealed, status, attempts, next_attempt_at, \
         last_error, created_at, sent_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(&m.id)
    .bind(m.kind.as_str())
    .bind(&m.purpose)
    .bind(outside_text(&m.recipient))
    .bind(m.sealed.clone())
    .bind(m.status.as_str())
    .bind(m.attempts)
    .bind(m.next_attempt_at)
    .bind(&m.last_error)
    .bind(m.created_at)
    .bind(m.sent_at)
}

pub async fn insert(pool: &AnyPool, m: &OutboxMessage) -> StoreResult<()> {
    insert_query(m)
        .execute(pool)
        .await
        .map_err(db_error("queueing message"))?;
    Ok(())
}

/// The lease is re-checked by the outer WHERE, so on PostgreSQL a row two
/// nodes both selected is updated (and returned) by one of them only.
pub async fn claim(
    pool: &AnyPool,
    now: i64,
    lease_until: i64,
    limit: i64,
) -> StoreResult<Vec<OutboxMessage>> {
    let sql = format!(
        "UPDATE messages SET lease_until = $1 WHERE id IN (SELECT id FROM messages WHERE status = 'queued' \
         AND next_attempt_at <= $2 AND (lease_until IS NULL OR lease_until <= $2) ORDER BY next_attempt_at LIMIT $3) \
         AND status = 'queued' AND (lease_until IS NULL OR lease_until <= $2) RETURNING {COLUMNS}"
    );
    let rows = sqlx::query(&sql)
        .bind(lease_until)
        .bind(now)
        .bind(limit)
        .fetch_all(pool)
        .await
        .map_err(db_error("claiming messages"))?;
    rows.iter().map(from_row).collect()
}

pub async fn finish(pool: &AnyPool, id: &str, delivery: &Delivery) -> StoreResult<()> {
    let query = match delivery {
        Delivery::Sent { at } => sqlx::query(
            "UPDATE messages SET status = 'sent', attempts = attempts + 1, sent_at = $1, lease_until = NULL, last_error = NULL WHERE id = $2",
        )
        .bind(*at)
        .bind(id),
        Delivery::Retry { attempts, next_at, error } => sqlx::query(
            "UPDATE messages SET attempts = $1, next_attempt_at = $2, last_error = $3, lease_until = NULL WHERE id = $4",
        )
        .bind(*attempts)
        .bind(*next_at)
        .bind(outside_text(error))
        .bind(id),
        Delivery::Failed { attempts, error } => sqlx::query(
            "UPDATE messages SET status = 'failed', attempts = $1, last_error = $2, lease_until = NULL WHERE id = $3",
        )
        .bind(*attempts)
        .bind(outside_text(error))
        .bind(id),
    };
    query
        .execute(pool)
        .await
        .map_err(db_error("recording a delivery"))?;
    Ok(())
}

pub async fn list(
    pool: &AnyPool,
    status: Option<MessageStatus>,
    limit: i64,
) -> StoreResult<Vec<OutboxMessage>> {
    let rows = match status {
        Some(status) => sqlx::query(&format!("SELECT {COLUMNS} FROM messages WHERE status = $1 ORDER BY created_at DESC, id LIMIT $2"))
            .bind(status.as_str())
            .bind(limit)
            .fetch_all(pool)
            .await,
        None => sqlx::query(&format!("SELECT {COLUMNS} FROM messages ORDER BY created_at DESC, id LIMIT $1"))
            .bind(limit)
            .fetch_all(pool)
            .await,
    }
    .map_err(db_error("listing messages"))?;
    rows.iter().map(from_row).collect()
}

pub async fn requeue(pool: &AnyPool, id: &str, now: i64) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE messages SET status = 'queued', next_attempt_at = $1, lease_until = NULL, attempts = 0 WHERE id = $2 AND status <> 'sent'",
    )
    .bind(now)
    .bind(outside_text(id))
    .execute(pool)
    .await
    .map_err(db_error("requeueing message"))?;
    Ok(done.rows_affected() == 1)
}

fn from_row(r: &AnyRow) -> StoreResult<OutboxMessage> {
    let err = db_error("reading message");
    let kind: String = r.try_get("kind").map_err(&err)?;
    let status: String = r.try_get("status").map_err(&err)?;
    Ok(OutboxMessage {
        id: r.try_get("id").map_err(&err)?,
        kind: MessageKind::parse(&kind)
            .ok_or_else(|| StoreError::Backend(format!("unknown message kind '{kind}'")))?,
        purpose: r.try_get("purpose").map_err(&err)?,
        recipient: r.try_get("recipient").map_err(&err)?,
        sealed: r.try_get("sealed").map_err(&err)?,
        status: MessageStatus::parse(&status)
            .ok_or_else(|| StoreError::Backend(format!("unknown message status '{status}'")))?,
        attempts: r.try_get("attempts").map_err(&err)?,
        next_attempt_at: r.try_get("next_attempt_at").map_err(&err)?,
        last_error: r.try_get("last_error").map_err(&err)?,
        created_at: r.try_get("created_at").map_err(&err)?,
        sent_at: r.try_get("sent_at").map_err(&err)?,
    })
}

#[async_trait]
impl OutboxStore for SqlStore {
    async fn insert_message(&self, message: &OutboxMessage) -> StoreResult<()> {
        insert(&self.writer, message).await
    }
    async fn claim_messages(
        &self,
        now: i64,
        lease_until: i64,
        limit: i64,
    ) -> StoreResult<Vec<OutboxMessage>> {
        claim(&self.writer, now, lease_until, limit).await
    }
    async fn finish_message(&self, id: &str, delivery: &Delivery) -> StoreResult<()> {
        finish(&self.writer, id, delivery).await
    }
    async fn list_messages(
        &self,
        status: Option<MessageStatus>,
        limit: i64,
    ) -> StoreResult<Vec<OutboxMessage>> {
        list(&self.pool, status, limit).await
    }
    async fn requeue_message(&self, id: &str, now: i64) -> StoreResult<bool> {
        requeue(&self.writer, id, now).await
    }
}
