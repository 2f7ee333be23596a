//! The `admins` table: console administrators.

use crate::SqlStore;
use async_trait::async_trait;
use countersign_domain::admin::admins::name_key;
use countersign_domain::ports::AdminStore;

use countersign_domain::model::admin::{Admin, Role};
use countersign_domain::ports::StoreResult;
use countersign_domain::StoreError;
use sqlx::any::AnyRow;
use sqlx::{AnyPool, Row};

use crate::{db_error, outside_text};

const COLUMNS: &str = "id, name, role, password_hash, second_factor_at, created_at, updated_at";

pub async fn insert(pool: &AnyPool, a: &Admin) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO admins (id, name, name_key, role, password_hash, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&a.id)
    .bind(&a.name)
    .bind(name_key(&a.name))
    .bind(a.role.as_str())
    .bind(&a.password_hash)
    .bind(a.created_at)
    .bind(a.updated_at)
    .execute(pool)
    .await
    .map_err(db_error("administrator"))?;
    Ok(())
}

pub async fn by_name(pool: &AnyPool, name: &str) -> StoreResult<Option<Admin>> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM admins WHERE name_key = $1"))
        .bind(outside_text(&name_key(name)))
        .fetch_optional(pool)
        .await
        .map_err(db_error("reading administrator"))?;
    row.as_ref().map(from_row).transpose()
}

pub async fn by_id(pool: &AnyPool, id: &str) -> StoreResult<Option<Admin>> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM admins WHERE id = $1"))
        .bind(outside_text(id))
        .fetch_optional(pool)
        .await
        .map_err(db_error("reading administrator"))?;
    row.as_ref().map(from_row).transpose()
}

pub async fn set_second_factor(pool: &AnyPool, id: &str, at: Option<i64>) -> StoreResult<()> {
    sqlx::query("UPDATE admins SET second_factor_at = $1 WHERE id = $2")
        .bind(at)
        .bind(id)
        .execute(pool)
        .await
        .map_err(db_error("recording administrator's second factor"))?;
    Ok(())
}

pub async fn list(pool: &AnyPool) -> StoreResult<Vec<Admin>> {
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM admins ORDER BY name_key"))
        .fetch_all(pool)
        .await
        .map_err(db_error("listing administrators"))?;
    rows.iter().map(from_row).collect()
}

pub async fn delete(pool: &AnyPool, name: &str) -> StoreResult<bool> {
    // SQLite does not enforce the cascade: end the sessions first.
    sqlx::query(
        "DELETE FROM sessions WHERE admin_id IN (SELECT id FROM admins WHERE name_key = $1)",
    )
    .bind(outside_text(&name_key(name)))
    .execute(pool)
    .await
    .map_err(db_error("ending administrator's sessions"))?;
    let done = sqlx::query("DELETE FROM admins WHERE name_key = $1")
        .bind(outside_text(&name_key(name)))
        .execute(pool)
        .await
        .map_err(db_error("deleting administrator"))?;
    Ok(done.rows_affected() == 1)
}

pub async fn set_password(pool: &AnyPool, id: &str, hash: &str, now: i64) -> StoreResult<bool> {
    let done = sqlx::query("UPDATE admins SET password_hash = $1, updated_at = $2 WHERE id = $3")
        .bind(hash)
        .bind(now)
        .bind(id)
        .execute(pool)
        .await
        .map_err(db_error("setting administrator password"))?;
    Ok(done.rows_affected() == 1)
}

fn from_row(row: &AnyRow) -> StoreResult<Admin> {
    let err = db_error("reading administrator");
    let role: String = row.try_get("role").map_err(&err)?;
    Ok(Admin {
        id: row.try_get("id").map_err(&err)?,
        name: row.try_get("name").map_err(&err)?,
        role: Role::parse(&role)
            .map_err(|_| StoreError::Backend(format!("unknown administrator role '{role}'")))?,
        password_hash: row.try_get("password_hash").map_err(&err)?,
        second_factor_at: row.try_get("second_factor_at").map_err(&err)?,
        created_at: row.try_get("created_at").map_err(&err)?,
        updated_at: row.try_get("updated_at").map_err(&err)?,
    })
}

#[async_trait]
impl AdminStore for SqlStore {
    async fn insert_admin(&self, admin: &Admin) -> StoreResult<()> {
        insert(&self.writer, admin).await
    }
    async fn admin_by_name(&self, name: &str) -> StoreResult<Option<Admin>> {
        by_name(&self.pool, name).await
    }
    async fn admin_by_id(&self, admin_id: &str) -> StoreResult<Option<Admin>> {
        by_id(&self.pool, admin_id).await
    }
    async fn list_admins(&self) -> StoreResult<Vec<Admin>> {
        list(&self.pool).await
    }
    async fn delete_admin(&self, name: &str) -> StoreResult<bool> {
        delete(&self.writer, name).await
    }
    async fn set_admin_password(&self, id: &str, hash: &str, now: i64) -> StoreResult<bool> {
        set_password(&self.writer, id, hash, now).await
    }
    async fn set_admin_second_factor(&self, admin_id: &str, at: Option<i64>) -> StoreResult<()> {
        set_second_factor(&self.writer, admin_id, at).await
    }
}
