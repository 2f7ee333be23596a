//! The `radius_clients` and `radius_challenges` tables.

use crate::SqlStore;
use async_trait::async_trait;
use countersign_domain::model::radius::DropCount;
use countersign_domain::model::radius::{Challenge, FirstFactor, Flow, StoredRadiusClient};
use countersign_domain::ports::RadiusStore;
use countersign_domain::ports::StoreResult;
use countersign_domain::signin::DoorRules;
use countersign_domain::StoreError;
use sqlx::any::AnyRow;
use sqlx::{AnyPool, Row};

use crate::{db_error, outside_text};

pub async fn insert_client(pool: &AnyPool, c: &StoredRadiusClient) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO radius_clients (id, name, address, secret, flow, first_factor, upstream, upstream_secret, \
         require_message_auth, created_at, require_user_match, fallback_otp, upstream_require_message_auth) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(&c.id)
    .bind(&c.name)
    .bind(&c.address)
    .bind(c.sealed_secret.clone())
    .bind(c.flow.as_str())
    .bind(c.first_factor.as_str())
    .bind(&c.upstream)
    .bind(c.sealed_upstream_secret.clone())
    .bind(i64::from(c.require_message_authenticator))
    .bind(c.created_at)
    .bind(i64::from(c.rules.require_user_match))
    .bind(i64::from(c.rules.fallback_otp))
    .bind(i64::from(c.upstream_require_message_authenticator))
    .execute(pool)
    .await
    .map_err(db_error("RADIUS client"))?;
    Ok(())
}

pub async fn update_client(pool: &AnyPool, c: &StoredRadiusClient) -> StoreResult<()> {
    sqlx::query(
        "UPDATE radius_clients SET address = $1, secret = $2, flow = $3, first_factor = $4, upstream = $5, \
         upstream_secret = $6, require_message_auth = $7, require_user_match = $8, fallback_otp = $9, \
         upstream_require_message_auth = $10 WHERE id = $11",
    )
    .bind(&c.address)
    .bind(c.sealed_secret.clone())
    .bind(c.flow.as_str())
    .bind(c.first_factor.as_str())
    .bind(&c.upstream)
    .bind(c.sealed_upstream_secret.clone())
    .bind(i64::from(c.require_message_authenticator))
    .bind(i64::from(c.rules.require_user_match))
    .bind(i64::from(c.rules.fallback_otp))
    .bind(i64::from(c.upstream_require_message_authenticator))
    .bind(&c.id)
    .execute(pool)
    .await
    .map_err(db_error("updating RADIUS client"))?;
    Ok(())
}

pub async fn list_clients(pool: &AnyPool) -> StoreResult<Vec<StoredRadiusClient>> {
    let rows = sqlx::query(
        "SELECT id, name, address, secret, flow, first_factor, upstream, upstream_secret, require_message_auth, created_at, \
         require_user_match, fallback_otp, upstream_require_message_auth FROM radius_clients ORDER BY name",
    )
    .fetch_all(pool)
    .await
    .map_err(db_error("listing RADIUS clients"))?;
    rows.iter().map(client_from_row).collect()
}

pub async fn delete_client(pool: &AnyPool, name: &str) -> StoreResult<bool> {
    let done = sqlx::query("DELETE FROM radius_clients WHERE name = $1")
        .bind(outside_text(name))
        .execute(pool)
        .await
        .map_err(db_error("deleting RADIUS client"))?;
    Ok(done.rows_affected() == 1)
}

pub async fn insert_challenge(pool: &AnyPool, c: &Challenge) -> StoreResult<()> {
    sqlx::query("INSERT INTO radius_challenges (state, username, client, attributes, expires_at, transaction_id) \
                 VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(&c.state)
        .bind(outside_text(&c.username))
        .bind(&c.client)
        .bind(c.attributes.clone())
        .bind(c.expires_at)
        .bind(&c.transaction_id)
        .execute(pool)
        .await
        .map_err(db_error("RADIUS challenge"))?;
    Ok(())
}

/// DELETE ... RETURNING: of two requests with the same State, one gets it.
pub async fn take_challenge(
    pool: &AnyPool,
    state: &str,
    now: i64,
) -> StoreResult<Option<Challenge>> {
    // Expired challenges are cleared on the way.
    sqlx::query("DELETE FROM radius_challenges WHERE expires_at <= $1")
        .bind(now)
        .execute(pool)
        .await
        .map_err(db_error("expiring RADIUS challenges"))?;
    let row = sqlx::query("DELETE FROM radius_challenges WHERE state = $1 RETURNING state, username, client, attributes, expires_at, transaction_id")
        .bind(outside_text(state))
        .fetch_optional(pool)
        .await
        .map_err(db_error("reading RADIUS challenge"))?;
    let Some(row) = row else { return Ok(None) };
    let err = db_error("reading RADIUS challenge");
    Ok(Some(Challenge {
        state: row.try_get("state").map_err(&err)?,
        username: row.try_get("username").map_err(&err)?,
        client: row.try_get("client").map_err(&err)?,
        attributes: row.try_get("attributes").map_err(&err)?,
        expires_at: row.try_get("expires_at").map_err(&err)?,
        transaction_id: row.try_get("transaction_id").map_err(&err)?,
    }))
}

fn client_from_row(row: &AnyRow) -> StoreResult<StoredRadiusClient> {
    let err = db_error("reading RADIUS client");
    let flow: String = row.try_get("flow").map_err(&err)?;
    let first: String = row.try_get("first_factor").map_err(&err)?;
    Ok(StoredRadiusClient {
        id: row.try_get("id").map_err(&err)?,
        name: row.try_get("name").map_err(&err)?,
        address: row.try_get("address").map_err(&err)?,
        sealed_secret: row.try_get("secret").map_err(&err)?,
        flow: Flow::parse(&flow)
            .ok_or_else(|| StoreError::Backend(format!("unknown RADIUS flow '{flow}'")))?,
        first_factor: FirstFactor::parse(&first)
            .ok_or_else(|| StoreError::Backend(format!("unknown first factor '{first}'")))?,
        upstream: row.try_get("upstream").map_err(&err)?,
        sealed_upstream_secret: row.try_get("upstream_secret").map_err(&err)?,
        require_message_authenticator: row
            .try_get::<i64, _>("require_message_auth")
            .map_err(&err)?
            != 0,
        upstream_require_message_authenticator: row
            .try_get::<i64, _>("upstream_require_message_auth")
            .map_err(&err)?
            != 0,
        created_at: row.try_get("created_at").map_err(&err)?,
        rules: DoorRules {
            require_user_match: row.try_get::<i64, _>("require_user_match").map_err(&err)? != 0,
            fallback_otp: row.try_get::<i64, _>("fallback_otp").map_err(&err)? != 0,
        },
    })
}

#[async_trait]
impl RadiusStore for SqlStore {
    async fn insert_radius_client(&self, client: &StoredRadiusClient) -> StoreResult<()> {
        insert_client(&self.writer, client).await
    }
    async fn list_radius_clients(&self) -> StoreResult<Vec<StoredRadiusClient>> {
        list_clients(&self.pool).await
    }
    async fn delete_radius_client(&self, name: &str) -> StoreResult<bool> {
        delete_client(&self.writer, name).await
    }
    async fn update_radius_client(&self, client: &StoredRadiusClient) -> StoreResult<()> {
        update_client(&self.writer, client).await
    }
    async fn insert_challenge(&self, challenge: &Challenge) -> StoreResult<()> {
        insert_challenge(&self.writer, challenge).await
    }
    async fn take_challenge(&self, state: &str, now: i64) -> StoreResult<Option<Challenge>> {
        take_challenge(&self.writer, state, now).await
    }
    async fn recent_radius_drops(&self, since: i64) -> StoreResult<Vec<DropCount>> {
        let drops = SqlStore::radius_drops_since(self, since).await?;
        Ok(drops
            .into_iter()
            .map(|d| DropCount {
                source: d.source,
                cause: d.cause,
                count: d.count,
                last_at: d.last_at,
            })
            .collect())
    }
}
