//! The `groups` and `group_members` tables (migration 0025).

use crate::SqlStore;
use async_trait::async_trait;
use countersign_domain::model::group::{group_key, Group, GroupMember, GroupSource, GroupSummary};
use countersign_domain::ports::{GroupStore, StoreResult};
use countersign_domain::StoreError;
use sqlx::any::AnyRow;
use sqlx::{AnyPool, Row};

use crate::{db_error, outside_text};

const COLUMNS: &str = "id, name, source, directory_id, dn, created_at";

fn group_of(row: &AnyRow) -> StoreResult<Group> {
    let err = db_error("reading group");
    let source: String = row.try_get("source").map_err(&err)?;
    Ok(Group {
        id: row.try_get("id").map_err(&err)?,
        name: row.try_get("name").map_err(&err)?,
        source: GroupSource::parse(&source)
            .ok_or_else(|| StoreError::Backend(format!("group source {source:?} unknown")))?,
        directory_id: row.try_get("directory_id").map_err(&err)?,
        dn: row.try_get("dn").map_err(&err)?,
        created_at: row.try_get("created_at").map_err(&err)?,
    })
}

pub async fn create(pool: &AnyPool, group: &Group) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO groups (id, name, name_key, source, directory_id, dn, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&group.id)
    .bind(&group.name)
    .bind(group_key(&group.name))
    .bind(group.source.as_str())
    .bind(&group.directory_id)
    .bind(&group.dn)
    .bind(group.created_at)
    .execute(pool)
    .await
    .map_err(db_error(&format!("group '{}'", group.name)))?;
    Ok(())
}

pub async fn by_name(pool: &AnyPool, name: &str) -> StoreResult<Option<Group>> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM groups WHERE name_key = $1"))
        .bind(group_key(&outside_text(name)))
        .fetch_optional(pool)
        .await
        .map_err(db_error("reading group"))?;
    row.as_ref().map(group_of).transpose()
}

pub async fn delete(pool: &AnyPool, name: &str) -> StoreResult<bool> {
    let Some(group) = by_name(pool, name).await? else {
        return Ok(false);
    };
    let mut tx = pool.begin().await.map_err(db_error("deleting group"))?;
    // Explicit, not only ON DELETE CASCADE: SQLite enforces foreign keys per connection.
    sqlx::query("DELETE FROM group_members WHERE group_id = $1")
        .bind(&group.id)
        .execute(&mut *tx)
        .await
        .map_err(db_error("deleting group members"))?;
    let done = sqlx::query("DELETE FROM groups WHERE id = $1")
        .bind(&group.id)
        .execute(&mut *tx)
        .await
        .map_err(db_error("deleting group"))?;
    tx.commit().await.map_err(db_error("deleting group"))?;
    Ok(done.rows_affected() == 1)
}

pub async fn list(pool: &AnyPool) -> StoreResult<Vec<GroupSummary>> {
    let rows = sqlx::query(
        "SELECT g.id, g.name, g.source, g.directory_id, g.dn, g.created_at, \
         (SELECT COUNT(*) FROM group_members m WHERE m.group_id = g.id) AS members \
         FROM groups g ORDER BY g.name_key",
    )
    .fetch_all(pool)
    .await
    .map_err(db_error("listing groups"))?;
    rows.iter()
        .map(|row| {
            Ok(GroupSummary {
                group: group_of(row)?,
                members: row.try_get("members").map_err(db_error("listing groups"))?,
            })
        })
        .collect()
}

pub async fn add_member(pool: &AnyPool, group_id: &str, user_id: &str) -> StoreResult<bool> {
    let done = sqlx::query(
        "INSERT INTO group_members (group_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
    )
    .bind(group_id)
    .bind(user_id)
    .execute(pool)
    .await
    .map_err(db_error("adding group member"))?;
    Ok(done.rows_affected() == 1)
}

pub async fn remove_member(pool: &AnyPool, group_id: &str, user_id: &str) -> StoreResult<bool> {
    let done = sqlx::query("DELETE FROM group_members WHERE group_id = $1 AND user_id = $2")
        .bind(group_id)
        .bind(user_id)
        .execute(pool)
        .await
        .map_err(db_error("removing group member"))?;
    Ok(done.rows_affected() == 1)
}

pub async fn members(pool: &AnyPool, group_id: &str) -> StoreResult<Vec<GroupMember>> {
    let rows = sqlx::query(
        "SELECT u.id, u.username FROM group_members m JOIN users u ON u.id = m.user_id \
         WHERE m.group_id = $1 ORDER BY u.username_key",
    )
    .bind(group_id)
    .fetch_all(pool)
    .await
    .map_err(db_error("reading group members"))?;
    let err = db_error("reading group members");
    rows.iter()
        .map(|r| {
            Ok(GroupMember {
                user_id: r.try_get("id").map_err(&err)?,
                username: r.try_get("username").map_err(&err)?,
            })
        })
        .collect()
}

pub async fn of_user(pool: &AnyPool, user_id: &str) -> StoreResult<Vec<String>> {
    let rows = sqlx::query(
        "SELECT g.name FROM group_members m JOIN groups g ON g.id = m.group_id \
         WHERE m.user_id = $1 ORDER BY g.name_key",
    )
    .bind(outside_text(user_id))
    .fetch_all(pool)
    .await
    .map_err(db_error("reading user's groups"))?;
    rows.iter()
        .map(|r| {
            r.try_get::<String, _>(0)
                .map_err(db_error("reading user's groups"))
        })
        .collect()
}

pub async fn set_members(pool: &AnyPool, group_id: &str, user_ids: &[String]) -> StoreResult<()> {
    let mut tx = pool
        .begin()
        .await
        .map_err(db_error("setting group members"))?;
    let rows = sqlx::query("SELECT user_id FROM group_members WHERE group_id = $1")
        .bind(group_id)
        .fetch_all(&mut *tx)
        .await
        .map_err(db_error("reading group members"))?;
    let err = db_error("reading group members");
    let now: std::collections::HashSet<String> = rows
        .iter()
        .map(|r| r.try_get::<String, _>(0).map_err(&err))
        .collect::<StoreResult<_>>()?;
    let wanted: std::collections::HashSet<&String> = user_ids.iter().collect();
    for gone in now.iter().filter(|id| !wanted.contains(id)) {
        sqlx::query("DELETE FROM group_members WHERE group_id = $1 AND user_id = $2")
            .bind(group_id)
            .bind(gone)
            .execute(&mut *tx)
            .await
            .map_err(db_error("removing group member"))?;
    }
    for new in wanted.into_iter().filter(|id| !now.contains(*id)) {
        sqlx::query(
            "INSERT INTO group_members (group_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(group_id)
        .bind(new)
        .execute(&mut *tx)
        .await
        .map_err(db_error("adding group member"))?;
    }
    tx.commit()
        .await
        .map_err(db_error("setting group members"))?;
    Ok(())
}

#[async_trait]
impl GroupStore for SqlStore {
    async fn create_group(&self, group: &Group) -> StoreResult<()> {
        create(&self.writer, group).await
    }
    async fn delete_group(&self, name: &str) -> StoreResult<bool> {
        delete(&self.writer, name).await
    }
    async fn group_by_name(&self, name: &str) -> StoreResult<Option<Group>> {
        by_name(&self.pool, name).await
    }
    async fn list_groups(&self) -> StoreResult<Vec<GroupSummary>> {
        list(&self.pool).await
    }
    async fn add_group_member(&self, group_id: &str, user_id: &str) -> StoreResult<bool> {
        add_member(&self.writer, group_id, user_id).await
    }
    async fn remove_group_member(&self, group_id: &str, user_id: &str) -> StoreResult<bool> {
        remove_member(&self.writer, group_id, user_id).await
    }
    async fn group_members(&self, group_id: &str) -> StoreResult<Vec<GroupMember>> {
        members(&self.pool, group_id).await
    }
    async fn groups_of_user(&self, user_id: &str) -> StoreResult<Vec<String>> {
        of_user(&self.pool, user_id).await
    }
    async fn set_group_members(&self, group_id: &str, user_ids: &[String]) -> StoreResult<()> {
        set_members(&self.writer, group_id, user_ids).await
    }
}
