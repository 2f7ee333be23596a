//! The `code_sends` table: codes sent, counted by the send limits.

use async_trait::async_trait;
use countersign_domain::model::messages::{SendCounts, SendRecord};
use countersign_domain::ports::{SendStore, StoreResult};
use sqlx::{AnyPool, Row};

use crate::{db_error, outside_text, SqlStore};

async fn record(pool: &AnyPool, send: &SendRecord, since: i64) -> StoreResult<SendCounts> {
    sqlx::query("DELETE FROM code_sends WHERE at < $1")
        .bind(since)
        .execute(pool)
        .await
        .map_err(db_error("forgetting old code sends"))?;
    sqlx::query(
        "INSERT INTO code_sends (id, user_id, destination, channel, purpose, at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&send.id)
    .bind(send.user_id.clone())
    .bind(outside_text(&send.destination))
    .bind(send.kind.as_str())
    .bind(&send.purpose)
    .bind(send.at)
    .execute(pool)
    .await
    .map_err(db_error("recording a code send"))?;
    let err = db_error("counting code sends");
    let row = sqlx::query(
        "SELECT \
           (SELECT COUNT(*) FROM code_sends WHERE user_id = $1 AND at >= $3), \
           (SELECT COUNT(*) FROM code_sends WHERE destination = $2 AND at >= $3), \
           (SELECT COUNT(*) FROM code_sends WHERE at >= $3)",
    )
    .bind(send.user_id.clone())
    .bind(outside_text(&send.destination))
    .bind(since)
    .fetch_one(pool)
    .await
    .map_err(&err)?;
    Ok(SendCounts {
        user: row.try_get::<i64, _>(0).map_err(&err)?,
        destination: row.try_get::<i64, _>(1).map_err(&err)?,
        global: row.try_get::<i64, _>(2).map_err(&err)?,
    })
}

#[async_trait]
impl SendStore for SqlStore {
    async fn record_send(&self, send: &SendRecord, since: i64) -> StoreResult<SendCounts> {
        record(&self.writer, send, since).await
    }
    async fn forget_send(&self, id: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM code_sends WHERE id = $1")
            .bind(id)
            .execute(&self.writer)
            .await
            .map_err(db_error("forgetting a refused code send"))?;
        Ok(())
    }
}
