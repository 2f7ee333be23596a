//! The `directory_links` table, a sync's batched writes, and the sync's lease.

use crate::SqlStore;
use async_trait::async_trait;
use countersign_domain::model::directory::{DirectoryLink, DirectoryWrite};
use countersign_domain::model::user::username_key;
use countersign_domain::ports::DirectoryStore;
use countersign_domain::ports::StoreResult;
use sqlx::{AnyPool, Row};

use crate::db_error;
use crate::users::{self, AnyQuery};

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

fn link_query(link: &DirectoryLink, now: i64) -> AnyQuery<'_> {
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
}

fn rename_query<'q>(user_id: &'q str, username: &'q str, now: i64) -> AnyQuery<'q> {
    sqlx::query("UPDATE users SET username = $1, username_key = $2, updated_at = $3 WHERE id = $4")
        .bind(username)
        .bind(username_key(username))
        .bind(now)
        .bind(user_id)
}

/// A run's writes in one transaction (a batch of a sync): each statement is
/// the one the single-user path runs, so the outcome is the same, with one
/// commit instead of two or three per user.
pub async fn apply(pool: &AnyPool, writes: &[DirectoryWrite], now: i64) -> StoreResult<()> {
    let mut tx = pool.begin().await.map_err(db_error("directory sync"))?;
    for write in writes {
        match write {
            DirectoryWrite::Add { user, link } => {
                let run = users::insert_query(user).execute(&mut *tx).await;
                run.map_err(db_error("user"))?;
                let run = link_query(link, now).execute(&mut *tx).await;
                run.map_err(db_error("directory link"))?;
            }
            DirectoryWrite::Update { user, rename, link } => {
                if *rename {
                    let run = rename_query(&user.id, &user.username, now)
                        .execute(&mut *tx)
                        .await;
                    run.map_err(db_error("user"))?;
                }
                let run = users::update_query(user).execute(&mut *tx).await;
                run.map_err(db_error("updating user"))?;
                let run = link_query(link, now).execute(&mut *tx).await;
                run.map_err(db_error("directory link"))?;
            }
            DirectoryWrite::Remove { user_id } => {
                users::delete_in(&mut tx, user_id).await?;
            }
        }
    }
    tx.commit().await.map_err(db_error("directory sync"))?;
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

#[async_trait]
impl DirectoryStore for SqlStore {
    async fn directory_links(&self) -> StoreResult<Vec<DirectoryLink>> {
        links(&self.pool).await
    }
    async fn apply_directory_writes(&self, writes: &[DirectoryWrite], now: i64) -> StoreResult<()> {
        apply(&self.writer, writes, now).await
    }
    async fn take_lease(
        &self,
        name: &str,
        holder: &str,
        now: i64,
        until: i64,
    ) -> StoreResult<bool> {
        take_lease(&self.writer, name, holder, now, until).await
    }
}
