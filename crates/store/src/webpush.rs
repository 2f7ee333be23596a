//! `webpush_subscriptions` (migration 0012): one sealed subscription per device.

use crate::SqlStore;
use async_trait::async_trait;
use countersign_domain::model::webpush::StoredSubscription;
use countersign_domain::ports::StoreResult;
use countersign_domain::ports::WebPushStore;
use sqlx::{AnyPool, Row};

use crate::{db_error, outside_text};

pub async fn put(pool: &AnyPool, s: &StoredSubscription) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO webpush_subscriptions (device_id, user_id, sealed, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (device_id) DO UPDATE SET user_id = excluded.user_id, sealed = excluded.sealed, \
         created_at = excluded.created_at, last_result = NULL, last_result_at = NULL",
    )
    .bind(&s.device_id)
    .bind(&s.user_id)
    .bind(s.sealed.clone())
    .bind(s.created_at)
    .execute(pool)
    .await
    .map_err(db_error("storing a web push subscription"))?;
    Ok(())
}

pub async fn delete(pool: &AnyPool, device_id: &str) -> StoreResult<bool> {
    let done = sqlx::query("DELETE FROM webpush_subscriptions WHERE device_id = $1")
        .bind(outside_text(device_id))
        .execute(pool)
        .await
        .map_err(db_error("deleting a web push subscription"))?;
    Ok(done.rows_affected() > 0)
}

pub async fn of_user(pool: &AnyPool, user_id: &str) -> StoreResult<Vec<StoredSubscription>> {
    let rows = sqlx::query(
        "SELECT device_id, user_id, sealed, created_at, last_result, last_result_at \
         FROM webpush_subscriptions WHERE user_id = $1 ORDER BY created_at",
    )
    .bind(outside_text(user_id))
    .fetch_all(pool)
    .await
    .map_err(db_error("reading web push subscriptions"))?;
    rows.iter()
        .map(|r| {
            Ok(StoredSubscription {
                device_id: r.try_get("device_id")?,
                user_id: r.try_get("user_id")?,
                sealed: r.try_get("sealed")?,
                created_at: r.try_get("created_at")?,
                last_result: r.try_get("last_result")?,
                last_result_at: r.try_get("last_result_at")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(db_error("reading web push subscriptions"))
}

pub async fn record(pool: &AnyPool, device_id: &str, result: &str, at: i64) -> StoreResult<()> {
    sqlx::query(
        "UPDATE webpush_subscriptions SET last_result = $2, last_result_at = $3 WHERE device_id = $1",
    )
    .bind(device_id)
    .bind(result)
    .bind(at)
    .execute(pool)
    .await
    .map_err(db_error("recording a web push result"))?;
    Ok(())
}

#[async_trait]
impl WebPushStore for SqlStore {
    async fn put_subscription(&self, subscription: &StoredSubscription) -> StoreResult<()> {
        put(&self.writer, subscription).await
    }
    async fn delete_subscription(&self, device_id: &str) -> StoreResult<bool> {
        delete(&self.writer, device_id).await
    }
    async fn subscriptions_of_user(&self, user_id: &str) -> StoreResult<Vec<StoredSubscription>> {
        of_user(&self.pool, user_id).await
    }
    async fn record_push_result(&self, device_id: &str, result: &str, at: i64) -> StoreResult<()> {
        record(&self.writer, device_id, result, at).await
    }
}
