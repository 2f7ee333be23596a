//! The portal's tables: `enrolment_links`, `portal_accounts` and
//! `token_labels` (its sessions are in `sessions`).

use crate::SqlStore;
use async_trait::async_trait;
use countersign_domain::model::portal::{EnrolmentLinkRow, PortalAccount};
use countersign_domain::ports::PortalStore;
use countersign_domain::ports::StoreResult;
use sqlx::{AnyPool, Row};

use crate::{db_error, outside_text};

/// One statement with text parameters; how many rows it changed.
async fn run(pool: &AnyPool, sql: &str, binds: &[&str], what: &str) -> StoreResult<u64> {
    let mut query = sqlx::query(sql);
    for bind in binds {
        query = query.bind(bind.to_string());
    }
    let done = query.execute(pool).await.map_err(db_error(what))?;
    Ok(done.rows_affected())
}

pub(crate) fn insert_link_query(link: &EnrolmentLinkRow) -> crate::users::AnyQuery<'_> {
    sqlx::query(
        "INSERT INTO enrolment_links (id_hash, user_id, created_at, expires_at, used_at, created_by) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&link.id_hash)
    .bind(&link.user_id)
    .bind(link.created_at)
    .bind(link.expires_at)
    .bind(link.used_at)
    .bind(&link.created_by)
}

pub async fn insert_link(pool: &AnyPool, link: &EnrolmentLinkRow) -> StoreResult<()> {
    insert_link_query(link)
        .execute(pool)
        .await
        .map_err(db_error("enrolment link"))?;
    Ok(())
}

pub async fn link(pool: &AnyPool, id_hash: &str) -> StoreResult<Option<EnrolmentLinkRow>> {
    let row = sqlx::query(
        "SELECT id_hash, user_id, created_at, expires_at, used_at, created_by \
         FROM enrolment_links WHERE id_hash = $1",
    )
    .bind(outside_text(id_hash))
    .fetch_optional(pool)
    .await
    .map_err(db_error("reading enrolment link"))?;
    let Some(row) = row else { return Ok(None) };
    let err = db_error("reading enrolment link");
    Ok(Some(EnrolmentLinkRow {
        id_hash: row.try_get("id_hash").map_err(&err)?,
        user_id: row.try_get("user_id").map_err(&err)?,
        created_at: row.try_get("created_at").map_err(&err)?,
        expires_at: row.try_get("expires_at").map_err(&err)?,
        used_at: row.try_get("used_at").map_err(&err)?,
        created_by: row.try_get("created_by").map_err(&err)?,
    }))
}

/// Marks the link used only if it is unused and unexpired: one statement,
/// so two clicks at once open one session.
pub async fn take_link(pool: &AnyPool, id_hash: &str, now: i64) -> StoreResult<Option<String>> {
    let row = sqlx::query(
        "UPDATE enrolment_links SET used_at = $1 \
         WHERE id_hash = $2 AND used_at IS NULL AND expires_at > $1 RETURNING user_id",
    )
    .bind(now)
    .bind(outside_text(id_hash))
    .fetch_optional(pool)
    .await
    .map_err(db_error("using enrolment link"))?;
    row.map(|r| r.try_get("user_id"))
        .transpose()
        .map_err(db_error("using enrolment link"))
}

pub async fn account(pool: &AnyPool, user_id: &str) -> StoreResult<Option<PortalAccount>> {
    let row = sqlx::query(
        "SELECT user_id, password_hash, pin_history, updated_at FROM portal_accounts WHERE user_id = $1",
    )
    .bind(user_id)
    .fetch_optional(pool)
    .await
    .map_err(db_error("reading portal account"))?;
    let Some(row) = row else { return Ok(None) };
    let err = db_error("reading portal account");
    let history: Option<String> = row.try_get("pin_history").map_err(&err)?;
    Ok(Some(PortalAccount {
        user_id: row.try_get("user_id").map_err(&err)?,
        password_hash: row.try_get("password_hash").map_err(&err)?,
        pin_history: history
            .and_then(|h| serde_json::from_str(&h).ok())
            .unwrap_or_default(),
        updated_at: row.try_get("updated_at").map_err(&err)?,
    }))
}

pub async fn put_account(pool: &AnyPool, account: &PortalAccount) -> StoreResult<()> {
    let history = serde_json::to_string(&account.pin_history).unwrap_or_else(|_| "[]".into());
    sqlx::query(
        "INSERT INTO portal_accounts (user_id, password_hash, pin_history, updated_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (user_id) DO UPDATE SET \
         password_hash = excluded.password_hash, pin_history = excluded.pin_history, updated_at = excluded.updated_at",
    )
    .bind(&account.user_id)
    .bind(&account.password_hash)
    .bind(history)
    .bind(account.updated_at)
    .execute(pool)
    .await
    .map_err(db_error("saving portal account"))?;
    Ok(())
}

pub async fn token_labels(pool: &AnyPool, user_id: &str) -> StoreResult<Vec<(String, String)>> {
    let rows = sqlx::query(
        "SELECT l.token_id, l.label FROM token_labels l JOIN tokens t ON t.id = l.token_id \
         WHERE t.user_id = $1",
    )
    .bind(user_id)
    .fetch_all(pool)
    .await
    .map_err(db_error("reading token names"))?;
    let err = db_error("reading token names");
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("token_id").map_err(&err)?,
                r.try_get("label").map_err(&err)?,
            ))
        })
        .collect()
}

pub async fn set_token_label(pool: &AnyPool, token_id: &str, label: &str) -> StoreResult<()> {
    let sql = "INSERT INTO token_labels (token_id, label) VALUES ($1, $2) \
               ON CONFLICT (token_id) DO UPDATE SET label = excluded.label";
    run(pool, sql, &[token_id, label], "naming token").await?;
    Ok(())
}

pub async fn rename_device(
    pool: &AnyPool,
    user_id: &str,
    device_id: &str,
    name: &str,
) -> StoreResult<bool> {
    let sql = "UPDATE devices SET name = $1 WHERE user_id = $2 AND id = $3";
    let binds = [name, user_id, device_id];
    Ok(run(pool, sql, &binds, "renaming device").await? == 1)
}

#[async_trait]
impl PortalStore for SqlStore {
    async fn insert_enrolment_link(&self, link: &EnrolmentLinkRow) -> StoreResult<()> {
        insert_link(&self.writer, link).await
    }
    async fn enrolment_link(&self, id_hash: &str) -> StoreResult<Option<EnrolmentLinkRow>> {
        link(&self.pool, id_hash).await
    }
    async fn take_enrolment_link(&self, id_hash: &str, now: i64) -> StoreResult<Option<String>> {
        take_link(&self.writer, id_hash, now).await
    }
    async fn portal_account(&self, user_id: &str) -> StoreResult<Option<PortalAccount>> {
        account(&self.pool, user_id).await
    }
    async fn put_portal_account(&self, account: &PortalAccount) -> StoreResult<()> {
        put_account(&self.writer, account).await
    }
    async fn token_labels(&self, user_id: &str) -> StoreResult<Vec<(String, String)>> {
        token_labels(&self.pool, user_id).await
    }
    async fn set_token_label(&self, token_id: &str, label: &str) -> StoreResult<()> {
        set_token_label(&self.writer, token_id, label).await
    }
    async fn rename_device(&self, user_id: &str, device_id: &str, name: &str) -> StoreResult<bool> {
        rename_device(&self.writer, user_id, device_id, name).await
    }
}
