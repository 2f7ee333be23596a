//! The `activations`, `devices`, `device_nonces` and `push_transactions` tables.

use crate::SqlStore;
use async_trait::async_trait;
use countersign_domain::model::push::{Activation, Device, PushTransaction, TxStatus};
use countersign_domain::ports::PushStore;
use countersign_domain::ports::StoreResult;
use countersign_domain::StoreError;
use sqlx::any::AnyRow;
use sqlx::{AnyPool, Row};

use crate::{db_error, outside_text, Backend};

/// The channel nodes tell each other about push events on.
pub const CHANNEL: &str = "countersign_push";

pub(crate) fn insert_activation_query(a: &Activation) -> crate::users::AnyQuery<'_> {
    sqlx::query("INSERT INTO activations (id, lookup, secret_hash, user_id, created_at, expires_at, attempts, used_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
        .bind(&a.id).bind(&a.lookup).bind(a.secret_hash.clone()).bind(&a.user_id)
        .bind(a.created_at).bind(a.expires_at).bind(a.attempts).bind(a.used_at)
}

pub async fn insert_activation(pool: &AnyPool, a: &Activation) -> StoreResult<()> {
    insert_activation_query(a)
        .execute(pool)
        .await
        .map_err(db_error("activation"))?;
    Ok(())
}

pub async fn activation_by_lookup(pool: &AnyPool, lookup: &str) -> StoreResult<Option<Activation>> {
    let row = sqlx::query("SELECT id, lookup, secret_hash, user_id, created_at, expires_at, attempts, used_at FROM activations WHERE lookup = $1")
        .bind(outside_text(lookup)).fetch_optional(pool).await.map_err(db_error("reading activation"))?;
    let Some(r) = row else { return Ok(None) };
    let err = db_error("reading activation");
    Ok(Some(Activation {
        id: r.try_get("id").map_err(&err)?,
        lookup: r.try_get("lookup").map_err(&err)?,
        secret_hash: r.try_get("secret_hash").map_err(&err)?,
        user_id: r.try_get("user_id").map_err(&err)?,
        created_at: r.try_get("created_at").map_err(&err)?,
        expires_at: r.try_get("expires_at").map_err(&err)?,
        attempts: r.try_get("attempts").map_err(&err)?,
        used_at: r.try_get("used_at").map_err(&err)?,
    }))
}

pub async fn count_activation_failure(pool: &AnyPool, id: &str) -> StoreResult<i64> {
    let row = sqlx::query(
        "UPDATE activations SET attempts = attempts + 1 WHERE id = $1 RETURNING attempts",
    )
    .bind(id)
    .fetch_optional(pool)
    .await
    .map_err(db_error("counting activation attempt"))?;
    Ok(row
        .map(|r| r.try_get::<i64, _>(0).unwrap_or(0))
        .unwrap_or(0))
}

pub async fn use_activation(
    pool: &AnyPool,
    id: &str,
    now: i64,
    max_attempts: i64,
) -> StoreResult<bool> {
    let done = sqlx::query("UPDATE activations SET used_at = $1 WHERE id = $2 AND used_at IS NULL AND expires_at > $1 AND attempts < $3")
        .bind(now).bind(id).bind(max_attempts)
        .execute(pool).await.map_err(db_error("using activation"))?;
    Ok(done.rows_affected() == 1)
}

const DEVICE_COLUMNS: &str =
    "id, user_id, name, platform, public_key, pin_key, token_id, created_at, last_seen_at";

pub async fn insert_device(pool: &AnyPool, d: &Device) -> StoreResult<()> {
    sqlx::query("INSERT INTO devices (id, user_id, name, platform, public_key, pin_key, token_id, created_at, last_seen_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
        .bind(&d.id).bind(&d.user_id).bind(outside_text(&d.name)).bind(outside_text(&d.platform))
        .bind(d.public_key.clone()).bind(d.sealed_pin_key.clone()).bind(&d.token_id)
        .bind(d.created_at).bind(d.last_seen_at)
        .execute(pool).await.map_err(db_error("device"))?;
    Ok(())
}

pub async fn devices_of_user(pool: &AnyPool, user_id: &str) -> StoreResult<Vec<Device>> {
    let sql =
        format!("SELECT {DEVICE_COLUMNS} FROM devices WHERE user_id = $1 ORDER BY created_at, id");
    let rows = sqlx::query(&sql)
        .bind(user_id)
        .fetch_all(pool)
        .await
        .map_err(db_error("reading devices"))?;
    rows.iter().map(device_from_row).collect()
}

pub async fn device(pool: &AnyPool, id: &str) -> StoreResult<Option<Device>> {
    let sql = format!("SELECT {DEVICE_COLUMNS} FROM devices WHERE id = $1");
    let row = sqlx::query(&sql)
        .bind(outside_text(id))
        .fetch_optional(pool)
        .await
        .map_err(db_error("reading device"))?;
    row.map(|r| device_from_row(&r)).transpose()
}

pub async fn delete_device(pool: &AnyPool, user_id: &str, id: &str) -> StoreResult<bool> {
    let mut tx = pool.begin().await.map_err(db_error("deleting device"))?;
    let token: Option<Option<String>> =
        sqlx::query("SELECT token_id FROM devices WHERE id = $1 AND user_id = $2")
            .bind(outside_text(id))
            .bind(user_id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_error("deleting device"))?
            .map(|r| r.try_get("token_id").ok().flatten());
    if let Some(Some(token_id)) = &token {
        sqlx::query("DELETE FROM tokens WHERE id = $1")
            .bind(token_id)
            .execute(&mut *tx)
            .await
            .map_err(db_error("deleting device token"))?;
    }
    if token.is_some() {
        sqlx::query("DELETE FROM webpush_subscriptions WHERE device_id = $1")
            .bind(outside_text(id))
            .execute(&mut *tx)
            .await
            .map_err(db_error("deleting device web push subscription"))?;
    }
    let done = sqlx::query("DELETE FROM devices WHERE id = $1 AND user_id = $2")
        .bind(outside_text(id))
        .bind(user_id)
        .execute(&mut *tx)
        .await
        .map_err(db_error("deleting device"))?;
    tx.commit().await.map_err(db_error("deleting device"))?;
    Ok(done.rows_affected() == 1)
}

/// Records a nonce. Expired ones are removed by [`delete_expired_nonces`]
/// on a timer, not here: a signed request costs one statement.
pub async fn use_nonce(
    pool: &AnyPool,
    device_id: &str,
    nonce: &str,
    expires_at: i64,
) -> StoreResult<bool> {
    let result =
        sqlx::query("INSERT INTO device_nonces (device_id, nonce, expires_at) VALUES ($1, $2, $3)")
            .bind(device_id)
            .bind(outside_text(nonce))
            .bind(expires_at)
            .execute(pool)
            .await;
    match result {
        Ok(_) => Ok(true),
        Err(sqlx::Error::Database(db)) if db.is_unique_violation() => Ok(false),
        Err(e) => Err(db_error("recording nonce")(e)),
    }
}

pub async fn delete_expired_nonces(pool: &AnyPool, now: i64) -> StoreResult<u64> {
    let done = sqlx::query("DELETE FROM device_nonces WHERE expires_at <= $1")
        .bind(now)
        .execute(pool)
        .await
        .map_err(db_error("expiring nonces"))?;
    Ok(done.rows_affected())
}

const TX_COLUMNS: &str = "id, user_id, username, number, pin_required, status, reason, application, client_address, api_key, created_at, expires_at, decided_at, device_id";

pub async fn insert_transaction(pool: &AnyPool, t: &PushTransaction) -> StoreResult<()> {
    sqlx::query(&format!("INSERT INTO push_transactions ({TX_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"))
        .bind(&t.id).bind(&t.user_id).bind(&t.username).bind(t.number).bind(i64::from(t.pin_required))
        .bind(t.status.as_str()).bind(&t.reason)
        .bind(t.application.as_deref().map(outside_text)).bind(t.client_address.as_deref().map(outside_text)).bind(&t.api_key)
        .bind(t.created_at).bind(t.expires_at).bind(t.decided_at).bind(&t.device_id)
        .execute(pool).await.map_err(db_error("push transaction"))?;
    Ok(())
}

pub async fn transaction(pool: &AnyPool, id: &str) -> StoreResult<Option<PushTransaction>> {
    let row = sqlx::query(&format!(
        "SELECT {TX_COLUMNS} FROM push_transactions WHERE id = $1"
    ))
    .bind(outside_text(id))
    .fetch_optional(pool)
    .await
    .map_err(db_error("reading transaction"))?;
    row.map(|r| tx_from_row(&r)).transpose()
}

pub async fn decide_transaction(
    pool: &AnyPool,
    id: &str,
    status: TxStatus,
    reason: Option<&str>,
    device_id: Option<&str>,
    now: i64,
) -> StoreResult<bool> {
    let done = sqlx::query("UPDATE push_transactions SET status = $1, reason = $2, device_id = $3, decided_at = $4 WHERE id = $5 AND status = 'pending'")
        .bind(status.as_str()).bind(reason).bind(device_id).bind(now).bind(outside_text(id))
        .execute(pool).await.map_err(db_error("deciding transaction"))?;
    Ok(done.rows_affected() == 1)
}

pub async fn count_since(pool: &AnyPool, user_id: &str, since: i64) -> StoreResult<i64> {
    let row = sqlx::query(
        "SELECT COUNT(*) FROM push_transactions WHERE user_id = $1 AND created_at >= $2",
    )
    .bind(user_id)
    .bind(since)
    .fetch_one(pool)
    .await
    .map_err(db_error("counting pushes"))?;
    row.try_get::<i64, _>(0)
        .map_err(db_error("counting pushes"))
}

/// Pushes of a user since `minute_since` and since `hour_since`, in one statement.
pub async fn count_recent(
    pool: &AnyPool,
    user_id: &str,
    minute_since: i64,
    hour_since: i64,
) -> StoreResult<(i64, i64)> {
    let row = sqlx::query(
        "SELECT COALESCE(SUM(CASE WHEN created_at >= $2 THEN 1 ELSE 0 END), 0), COUNT(*) \
         FROM push_transactions WHERE user_id = $1 AND created_at >= $3",
    )
    .bind(user_id)
    .bind(minute_since)
    .bind(hour_since)
    .fetch_one(pool)
    .await
    .map_err(db_error("counting pushes"))?;
    let err = db_error("counting pushes");
    Ok((
        row.try_get::<i64, _>(0).map_err(&err)?,
        row.try_get::<i64, _>(1).map_err(&err)?,
    ))
}

pub async fn pending(pool: &AnyPool, user_id: &str, now: i64) -> StoreResult<Vec<PushTransaction>> {
    let rows = sqlx::query(&format!("SELECT {TX_COLUMNS} FROM push_transactions WHERE user_id = $1 AND status = 'pending' AND expires_at > $2 ORDER BY created_at"))
        .bind(user_id).bind(now).fetch_all(pool).await.map_err(db_error("reading pending pushes"))?;
    rows.iter().map(tx_from_row).collect()
}

pub async fn notify(pool: &AnyPool, backend: Backend, payload: &str) -> StoreResult<()> {
    if backend == Backend::Postgres {
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(CHANNEL)
            .bind(payload)
            .execute(pool)
            .await
            .map_err(db_error("notifying nodes"))?;
    }
    Ok(())
}

fn device_from_row(r: &AnyRow) -> StoreResult<Device> {
    let err = db_error("reading device");
    Ok(Device {
        id: r.try_get("id").map_err(&err)?,
        user_id: r.try_get("user_id").map_err(&err)?,
        name: r.try_get("name").map_err(&err)?,
        platform: r.try_get("platform").map_err(&err)?,
        public_key: r.try_get("public_key").map_err(&err)?,
        sealed_pin_key: r.try_get("pin_key").map_err(&err)?,
        token_id: r.try_get("token_id").map_err(&err)?,
        created_at: r.try_get("created_at").map_err(&err)?,
        last_seen_at: r.try_get("last_seen_at").map_err(&err)?,
    })
}

fn tx_from_row(r: &AnyRow) -> StoreResult<PushTransaction> {
    let err = db_error("reading transaction");
    let status: String = r.try_get("status").map_err(&err)?;
    Ok(PushTransaction {
        id: r.try_get("id").map_err(&err)?,
        user_id: r.try_get("user_id").map_err(&err)?,
        username: r.try_get("username").map_err(&err)?,
        number: r.try_get("number").map_err(&err)?,
        pin_required: r.try_get::<i64, _>("pin_required").map_err(&err)? != 0,
        status: TxStatus::parse(&status)
            .ok_or_else(|| StoreError::Backend(format!("unknown transaction status '{status}'")))?,
        reason: r.try_get("reason").map_err(&err)?,
        application: r.try_get("application").map_err(&err)?,
        client_address: r.try_get("client_address").map_err(&err)?,
        api_key: r.try_get("api_key").map_err(&err)?,
        created_at: r.try_get("created_at").map_err(&err)?,
        expires_at: r.try_get("expires_at").map_err(&err)?,
        decided_at: r.try_get("decided_at").map_err(&err)?,
        device_id: r.try_get("device_id").map_err(&err)?,
    })
}

#[async_trait]
impl PushStore for SqlStore {
    async fn insert_activation(&self, activation: &Activation) -> StoreResult<()> {
        insert_activation(&self.writer, activation).await
    }
    async fn activation_by_lookup(&self, lookup: &str) -> StoreResult<Option<Activation>> {
        activation_by_lookup(&self.pool, lookup).await
    }
    async fn count_activation_failure(&self, id: &str) -> StoreResult<i64> {
        count_activation_failure(&self.writer, id).await
    }
    async fn use_activation(&self, id: &str, now: i64, max_attempts: i64) -> StoreResult<bool> {
        use_activation(&self.writer, id, now, max_attempts).await
    }
    async fn insert_device(&self, device: &Device) -> StoreResult<()> {
        insert_device(&self.writer, device).await
    }
    async fn devices_of_user(&self, user_id: &str) -> StoreResult<Vec<Device>> {
        devices_of_user(&self.pool, user_id).await
    }
    async fn device(&self, id: &str) -> StoreResult<Option<Device>> {
        device(&self.pool, id).await
    }
    async fn delete_device(&self, user_id: &str, id: &str) -> StoreResult<bool> {
        delete_device(&self.writer, user_id, id).await
    }
    async fn use_nonce(
        &self,
        device_id: &str,
        nonce: &str,
        expires_at: i64,
        now: i64,
    ) -> StoreResult<bool> {
        let _ = now; // expired nonces go on a timer: delete_expired_nonces
        use_nonce(&self.writer, device_id, nonce, expires_at).await
    }
    async fn delete_expired_nonces(&self, now: i64) -> StoreResult<u64> {
        delete_expired_nonces(&self.writer, now).await
    }
    async fn insert_transaction(&self, transaction: &PushTransaction) -> StoreResult<()> {
        insert_transaction(&self.writer, transaction).await
    }
    async fn transaction(&self, id: &str) -> StoreResult<Option<PushTransaction>> {
        transaction(&self.pool, id).await
    }
    async fn decide_transaction(
        &self,
        id: &str,
        status: TxStatus,
        reason: Option<&str>,
        device_id: Option<&str>,
        now: i64,
    ) -> StoreResult<bool> {
        decide_transaction(&self.writer, id, status, reason, device_id, now).await
    }
    async fn count_transactions_since(&self, user_id: &str, since: i64) -> StoreResult<i64> {
        count_since(&self.pool, user_id, since).await
    }
    async fn count_recent_transactions(
        &self,
        user_id: &str,
        minute_since: i64,
        hour_since: i64,
    ) -> StoreResult<(i64, i64)> {
        count_recent(&self.pool, user_id, minute_since, hour_since).await
    }
    async fn pending_transactions(
        &self,
        user_id: &str,
        now: i64,
    ) -> StoreResult<Vec<PushTransaction>> {
        pending(&self.pool, user_id, now).await
    }
    async fn notify(&self, payload: &str) -> StoreResult<()> {
        notify(&self.pool, self.backend, payload).await
    }
}
