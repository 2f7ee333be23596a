//! The `directory_links` table and renames.

use countersign_domain::directory::DirectoryLink;
use countersign_domain::store::StoreResult;
use countersign_domain::user::username_key;
use sqlx::{AnyPool, Row};

use crate::db_error;

pub async fn links(pool: &AnyPool) -> StoreResult<Vec<DirectoryLink>> {
    let rows =
        sqlx::query("SELECT user_id, external_id, dn, disabled_by_sync FROM directory_links")
            .fetch_all(pool)
            .await
            .map_err(db_error("reading directory links"))?;
    let err = db_error("reading directory links");
    rows.iter()
        .map(|r| {
            Ok(DirectoryLink {
                user_id: r.try_get("user_id").map_err(&err)?,
                external_id: r.try_get("external_id").map_err(&err)?,
                dn: r.try_get("dn").map_err(&err)?,
                disabled_by_sync: r.try_get::<i64, _>("disabled_by_sync").map_err(&err)? != 0,
            })
        })
        .collect()
}

pub async fn put_link(pool: &AnyPool, link: &DirectoryLink, now: i64) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO directory_links (user_id, external_id, dn, disabled_by_sync, synced_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (user_id) DO UPDATE SET external_id = excluded.external_id, dn = excluded.dn, \
         disabled_by_sync = excluded.disabled_by_sync, synced_at = excluded.synced_at",
    )
    .bind(&link.user_id)
    .bind(&link.external_id)
    .bind(&link.dn)
    .bind(i64::from(link.disabled_by_sync))
    .bind(now)
    .execute(pool)
    .await
    .map_err(db_error("directory link"))?;
    Ok(())
}

pub async fn rename(pool: &AnyPool, user_id: &str, username: &str, now: i64) -> StoreResult<()> {
    sqlx::query("UPDATE users SET username = $1, username_key = $2, updated_at = $3 WHERE id = $4")
        .bind(username)
        .bind(username_key(username))
        .bind(now)
        .bind(user_id)
        .execute(pool)
        .await
        .map_err(db_error("user"))?;
    Ok(())
}

/// One conditional upsert: the lease goes to `holder` when it is free, run
/// out, or already theirs.
pub async fn take_lease(
    pool: &AnyPool,
    name: &str,
    holder: &str,
    now: i64,
    until: i64,
) -> StoreResult<bool> {
    let row = sqlx::query(
        "INSERT INTO leases (name, holder, until) VALUES ($1, $2, $3) \
         ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until \
         WHERE leases.until <= $4 OR leases.holder = excluded.holder RETURNING holder",
    )
    .bind(name)
    .bind(holder)
    .bind(until)
    .bind(now)
    .fetch_optional(pool)
    .await
    .map_err(db_error("lease"))?;
    Ok(row.is_some())
}
