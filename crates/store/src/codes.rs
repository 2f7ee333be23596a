//! The `code_challenges` table: codes sent by SMS or email, stored hashed.

use crate::SqlStore;
use async_trait::async_trait;
use countersign_domain::model::code::CodeChallenge;
use countersign_domain::ports::CodeStore;
use countersign_domain::ports::StoreResult;
use sqlx::any::AnyRow;
use sqlx::{AnyPool, Row};

use crate::{db_error, outside_text};

const COLUMNS: &str = "id, user_id, username, channel, code_hash, destination, status, attempts, created_at, expires_at";

pub async fn insert(pool: &AnyPool, c: &CodeChallenge) -> StoreResult<()> {
    sqlx::query(&format!(
        "INSERT INTO code_challenges ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
    ))
    .bind(&c.id)
    .bind(&c.user_id)
    .bind(&c.username)
    .bind(&c.channel)
    .bind(c.code_hash.clone())
    .bind(&c.destination)
    .bind(&c.status)
    .bind(c.attempts)
    .bind(c.created_at)
    .bind(c.expires_at)
    .execute(pool)
    .await
    .map_err(db_error("code challenge"))?;
    Ok(())
}

pub async fn get(pool: &AnyPool, id: &str) -> StoreResult<Option<CodeChallenge>> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM code_challenges WHERE id = $1"
    ))
    .bind(outside_text(id))
    .fetch_optional(pool)
    .await
    .map_err(db_error("reading code challenge"))?;
    row.map(|r| from_row(&r)).transpose()
}

pub async fn count_attempt(pool: &AnyPool, id: &str) -> StoreResult<i64> {
    let row = sqlx::query(
        "UPDATE code_challenges SET attempts = attempts + 1 WHERE id = $1 RETURNING attempts",
    )
    .bind(id)
    .fetch_optional(pool)
    .await
    .map_err(db_error("counting a code attempt"))?;
    Ok(row
        .and_then(|r| r.try_get::<i64, _>(0).ok())
        .unwrap_or(i64::MAX))
}

/// Compare-and-set from pending: a code is accepted at most once.
pub async fn settle(pool: &AnyPool, id: &str, status: &str) -> StoreResult<bool> {
    let done =
        sqlx::query("UPDATE code_challenges SET status = $1 WHERE id = $2 AND status = 'pending'")
            .bind(status)
            .bind(id)
            .execute(pool)
            .await
            .map_err(db_error("settling a code challenge"))?;
    Ok(done.rows_affected() == 1)
}

pub async fn count_since(pool: &AnyPool, user_id: &str, since: i64) -> StoreResult<i64> {
    let row =
        sqlx::query("SELECT COUNT(*) FROM code_challenges WHERE user_id = $1 AND created_at >= $2")
            .bind(user_id)
            .bind(since)
            .fetch_one(pool)
            .await
            .map_err(db_error("counting code challenges"))?;
    row.try_get::<i64, _>(0)
        .map_err(db_error("counting code challenges"))
}

fn from_row(r: &AnyRow) -> StoreResult<CodeChallenge> {
    let err = db_error("reading code challenge");
    Ok(CodeChallenge {
        id: r.try_get("id").map_err(&err)?,
        user_id: r.try_get("user_id").map_err(&err)?,
        username: r.try_get("username").map_err(&err)?,
        channel: r.try_get("channel").map_err(&err)?,
        code_hash: r.try_get("code_hash").map_err(&err)?,
        destination: r.try_get("destination").map_err(&err)?,
        status: r.try_get("status").map_err(&err)?,
        attempts: r.try_get("attempts").map_err(&err)?,
        created_at: r.try_get("created_at").map_err(&err)?,
        expires_at: r.try_get("expires_at").map_err(&err)?,
    })
}

/// Pending, unexpired challenges of a user on one channel, newest first.
pub async fn pending(
    pool: &AnyPool,
    user_id: &str,
    channel: &str,
    now: i64,
) -> StoreResult<Vec<CodeChallenge>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM code_challenges WHERE user_id = $1 AND channel = $2 AND status = 'pending' AND expires_at > $3 \
         ORDER BY created_at DESC"
    ))
    .bind(user_id)
    .bind(channel)
    .bind(now)
    .fetch_all(pool)
    .await
    .map_err(db_error("reading pending codes"))?;
    rows.iter().map(from_row).collect()
}

#[async_trait]
impl CodeStore for SqlStore {
    async fn insert_code_challenge(&self, challenge: &CodeChallenge) -> StoreResult<()> {
        insert(&self.writer, challenge).await
    }
    async fn code_challenge(&self, id: &str) -> StoreResult<Option<CodeChallenge>> {
        get(&self.pool, id).await
    }
    async fn count_code_attempt(&self, id: &str) -> StoreResult<i64> {
        count_attempt(&self.writer, id).await
    }
    async fn settle_code_challenge(&self, id: &str, status: &str) -> StoreResult<bool> {
        settle(&self.writer, id, status).await
    }
    async fn pending_code_challenges(
        &self,
        user_id: &str,
        channel: &str,
        now: i64,
    ) -> StoreResult<Vec<CodeChallenge>> {
        pending(&self.pool, user_id, channel, now).await
    }
    async fn count_code_challenges_since(&self, user_id: &str, since: i64) -> StoreResult<i64> {
        count_since(&self.pool, user_id, since).await
    }
}
