//! The `radius_drops` table: RADIUS requests dropped without an answer,
//! counted per client (or source address, for an unknown client) and
//! cause. The listener writes a row at most once a minute per client;
//! `countersign doctor`, another process, reads it. Outside the `Store`
//! port: it is the listener's and the doctor's bookkeeping, not a decision.

use countersign_domain::StoreError;
use sqlx::Row;

use crate::{db_error, outside_text, SqlStore};

/// A gap longer than this starts the count again (a new episode).
const EPISODE_GAP: i64 = 3600;
/// Rows untouched for this long are removed.
const KEEP: i64 = 7 * 86_400;

/// Drops of one cause from one client since `first_at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RadiusDrop {
    /// The client's name, or the address for `unknown_client`.
    pub source: String,
    pub cause: String,
    /// The address of the last dropped request.
    pub address: String,
    pub count: i64,
    pub first_at: i64,
    pub last_at: i64,
}

impl SqlStore {
    /// Adds `count` drops of `cause` from `source` at `now`. A row last
    /// written over an hour ago starts again from `count`.
    pub async fn record_radius_drops(
        &self,
        source: &str,
        cause: &str,
        address: &str,
        count: i64,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO radius_drops (source, cause, address, count, first_at, last_at) \
             VALUES ($1, $2, $3, $4, $5, $5) \
             ON CONFLICT (source, cause) DO UPDATE SET \
             count = CASE WHEN radius_drops.last_at < $6 THEN excluded.count \
                     ELSE radius_drops.count + excluded.count END, \
             first_at = CASE WHEN radius_drops.last_at < $6 THEN excluded.first_at \
                     ELSE radius_drops.first_at END, \
             address = excluded.address, last_at = excluded.last_at",
        )
        .bind(outside_text(source))
        .bind(cause)
        .bind(address)
        .bind(count)
        .bind(now)
        .bind(now - EPISODE_GAP)
        .execute(&self.writer)
        .await
        .map_err(db_error("recording dropped RADIUS requests"))?;
        sqlx::query("DELETE FROM radius_drops WHERE last_at < $1")
            .bind(now - KEEP)
            .execute(&self.writer)
            .await
            .map_err(db_error("clearing old RADIUS drops"))?;
        Ok(())
    }

    /// Rows with a drop at or after `since`, most recent first.
    pub async fn radius_drops_since(&self, since: i64) -> Result<Vec<RadiusDrop>, StoreError> {
        let rows = sqlx::query(
            "SELECT source, cause, address, count, first_at, last_at FROM radius_drops \
             WHERE last_at >= $1 ORDER BY last_at DESC, source, cause",
        )
        .bind(since)
        .fetch_all(&self.pool)
        .await
        .map_err(db_error("reading RADIUS drops"))?;
        let err = db_error("reading RADIUS drops");
        rows.iter()
            .map(|row| {
                Ok(RadiusDrop {
                    source: row.try_get("source").map_err(&err)?,
                    cause: row.try_get("cause").map_err(&err)?,
                    address: row.try_get("address").map_err(&err)?,
                    count: row.try_get("count").map_err(&err)?,
                    first_at: row.try_get("first_at").map_err(&err)?,
                    last_at: row.try_get("last_at").map_err(&err)?,
                })
            })
            .collect()
    }
}
