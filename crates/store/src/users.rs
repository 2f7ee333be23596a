//! The `users` table.

use crate::SqlStore;
use async_trait::async_trait;
use countersign_domain::model::method::{join_list, parse_list};
use countersign_domain::model::user::username_key;
use countersign_domain::ports::UserStore;
use countersign_domain::ports::{FailureState, StoreResult};
use countersign_domain::signin::Method;
use countersign_domain::{StoredToken, User, UserQuery};
use sqlx::any::AnyRow;
use sqlx::{AnyPool, Row};

use crate::{db_error, outside_text};

const COLUMNS: &str =
    "id, username, display_name, email, phone, enabled, locked_until, failed_attempts, created_at, updated_at, \
     push_number_matching, push_pin_required, welcome_email, welcomed_at, pin_hash, default_method, allowed_methods, \
     bypass_until, bypass_reason, language, voice_phone";

/// A statement with its binds, run on a pool or inside a transaction.
pub(crate) type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

pub(crate) fn insert_query(user: &User) -> AnyQuery<'_> {
    sqlx::query(
        "INSERT INTO users (id, username, username_key, display_name, email, phone, enabled, locked_until, \
         failed_attempts, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(&user.id)
    .bind(&user.username)
    .bind(username_key(&user.username))
    .bind(&user.display_name)
    .bind(&user.email)
    .bind(&user.phone)
    .bind(i64::from(user.enabled))
    .bind(user.locked_until)
    .bind(user.failed_attempts)
    .bind(user.created_at)
    .bind(user.updated_at)
}

pub async fn insert(pool: &AnyPool, user: &User) -> StoreResult<()> {
    insert_query(user)
        .execute(pool)
        .await
        .map_err(db_error("user"))?;
    Ok(())
}

pub async fn by_name(pool: &AnyPool, username: &str) -> StoreResult<Option<User>> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE username_key = $1");
    let row = sqlx::query(&sql)
        .bind(outside_text(&username_key(username)))
        .fetch_optional(pool)
        .await
        .map_err(db_error("reading user"))?;
    row.map(|r| from_row(&r)).transpose()
}

pub async fn list(pool: &AnyPool, query: &UserQuery) -> StoreResult<Vec<User>> {
    // Administrators' principals (`admin/NAME`) are not listed as users.
    let mut sql = format!("SELECT {COLUMNS} FROM users WHERE username_key NOT LIKE '%/%'");
    let mut binds: Vec<String> = Vec::new();
    if let Some(text) = query.query.as_deref().filter(|q| !q.is_empty()) {
        binds.push(format!(
            "%{}%",
            escape_like(&outside_text(&text.to_lowercase()))
        ));
        let n = binds.len();
        sql.push_str(&format!(
            " AND (username_key LIKE ${n} ESCAPE '\\' OR lower(display_name) LIKE ${n} ESCAPE '\\' OR lower(email) LIKE ${n} ESCAPE '\\')"
        ));
    }
    if let Some(after) = &query.after {
        binds.push(outside_text(&username_key(after)));
        sql.push_str(&format!(" AND username_key > ${}", binds.len()));
    }
    if let Some(now) = query.locked_at {
        sql.push_str(&format!(" AND locked_until > {now}"));
    }
    sql.push_str(&format!(" ORDER BY username_key LIMIT {}", query.limit));
    let mut q = sqlx::query(&sql);
    for value in &binds {
        q = q.bind(value);
    }
    let rows = q.fetch_all(pool).await.map_err(db_error("listing users"))?;
    rows.iter().map(from_row).collect()
}

pub(crate) fn update_query(user: &User) -> AnyQuery<'_> {
    sqlx::query(
        "UPDATE users SET display_name = $1, email = $2, phone = $3, enabled = $4, updated_at = $5, \
         push_number_matching = $6, push_pin_required = $7, welcome_email = $8, default_method = $9, \
         allowed_methods = $10, language = $11, voice_phone = $12 WHERE id = $13",
    )
    .bind(&user.display_name)
    .bind(&user.email)
    .bind(&user.phone)
    .bind(i64::from(user.enabled))
    .bind(user.updated_at)
    .bind(user.push_number_matching.map(i64::from))
    .bind(user.push_pin_required.map(i64::from))
    .bind(user.welcome_email.map(i64::from))
    .bind(user.default_method.map(|m| m.as_str()))
    .bind(user.allowed_methods.as_deref().map(join_list))
    .bind(&user.language)
    .bind(&user.voice_phone)
    .bind(&user.id)
}

pub async fn update(pool: &AnyPool, user: &User) -> StoreResult<()> {
    update_query(user)
        .execute(pool)
        .await
        .map_err(db_error("updating user"))?;
    Ok(())
}

pub async fn delete(pool: &AnyPool, user_id: &str) -> StoreResult<bool> {
    let mut tx = pool.begin().await.map_err(db_error("deleting user"))?;
    let deleted = delete_in(&mut tx, user_id).await?;
    tx.commit().await.map_err(db_error("deleting user"))?;
    Ok(deleted)
}

/// Deletes the user inside the caller's transaction.
pub(crate) async fn delete_in(tx: &mut sqlx::AnyConnection, user_id: &str) -> StoreResult<bool> {
    // Hardware tokens (with a serial) go back to the pool, counter kept.
    sqlx::query("UPDATE tokens SET user_id = NULL WHERE user_id = $1 AND serial IS NOT NULL")
        .bind(user_id)
        .execute(&mut *tx)
        .await
        .map_err(db_error("returning user's tokens to the pool"))?;
    sqlx::query("DELETE FROM tokens WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *tx)
        .await
        .map_err(db_error("deleting user's tokens"))?;
    // Passkeys and their challenges (credential ids stay unique over all users),
    // and group memberships.
    for table in [
        "webauthn_credentials",
        "webauthn_challenges",
        "group_members",
        "remembered_devices",
    ] {
        sqlx::query(&format!("DELETE FROM {table} WHERE user_id = $1"))
            .bind(user_id)
            .execute(&mut *tx)
            .await
            .map_err(db_error("deleting user's passkeys"))?;
    }
    let done = sqlx::query("DELETE FROM users WHERE id = $1")
        .bind(user_id)
        .execute(&mut *tx)
        .await
        .map_err(db_error("deleting user"))?;
    Ok(done.rows_affected() == 1)
}

/// One statement, so concurrent failures all count: a lock that has run out
/// starts the count afresh, and reaching the threshold sets a new lock.
pub async fn record_failure(
    pool: &AnyPool,
    user_id: &str,
    now: i64,
    threshold: i64,
    lock_seconds: i64,
) -> StoreResult<FailureState> {
    let row = sqlx::query(
        "UPDATE users SET \
           failed_attempts = CASE WHEN locked_until IS NOT NULL AND locked_until <= $2 THEN 1 ELSE failed_attempts + 1 END, \
           locked_until = CASE \
             WHEN (CASE WHEN locked_until IS NOT NULL AND locked_until <= $2 THEN 1 ELSE failed_attempts + 1 END) >= $3 THEN $4 \
             WHEN locked_until IS NOT NULL AND locked_until <= $2 THEN NULL \
             ELSE locked_until END \
         WHERE id = $1 RETURNING failed_attempts, locked_until",
    )
    .bind(user_id)
    .bind(now)
    .bind(threshold)
    .bind(now + lock_seconds)
    .fetch_optional(pool)
    .await
    .map_err(db_error("counting a failure"))?;
    Ok(match row {
        Some(r) => FailureState {
            failed_attempts: r.try_get(0).map_err(db_error("counting a failure"))?,
            locked_until: r.try_get(1).map_err(db_error("counting a failure"))?,
        },
        None => FailureState {
            failed_attempts: 0,
            locked_until: None,
        },
    })
}

pub async fn clear_failures(pool: &AnyPool, user_id: &str) -> StoreResult<()> {
    sqlx::query("UPDATE users SET failed_attempts = 0, locked_until = NULL WHERE id = $1")
        .bind(user_id)
        .execute(pool)
        .await
        .map_err(db_error("clearing failures"))?;
    Ok(())
}

/// Grants (or with `None` withdraws) a one-time bypass.
pub async fn set_bypass(
    pool: &AnyPool,
    user_id: &str,
    bypass: Option<(i64, &str)>,
) -> StoreResult<bool> {
    let done = sqlx::query("UPDATE users SET bypass_until = $1, bypass_reason = $2 WHERE id = $3")
        .bind(bypass.map(|(until, _)| until))
        .bind(bypass.map(|(_, reason)| reason.to_string()))
        .bind(user_id)
        .execute(pool)
        .await
        .map_err(db_error("setting bypass"))?;
    Ok(done.rows_affected() == 1)
}

/// Uses the bypass: one conditional UPDATE, so only one sign-in wins it.
pub async fn take_bypass(pool: &AnyPool, user_id: &str, now: i64) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE users SET bypass_until = NULL, bypass_reason = NULL WHERE id = $1 AND bypass_until > $2",
    )
    .bind(user_id)
    .bind(now)
    .execute(pool)
    .await
    .map_err(db_error("using bypass"))?;
    Ok(done.rows_affected() == 1)
}

fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

fn from_row(row: &AnyRow) -> StoreResult<User> {
    let err = db_error("reading user");
    Ok(User {
        id: row.try_get("id").map_err(&err)?,
        username: row.try_get("username").map_err(&err)?,
        display_name: row.try_get("display_name").map_err(&err)?,
        email: row.try_get("email").map_err(&err)?,
        phone: row.try_get("phone").map_err(&err)?,
        enabled: row.try_get::<i64, _>("enabled").map_err(&err)? != 0,
        locked_until: row.try_get("locked_until").map_err(&err)?,
        failed_attempts: row.try_get("failed_attempts").map_err(&err)?,
        created_at: row.try_get("created_at").map_err(&err)?,
        updated_at: row.try_get("updated_at").map_err(&err)?,
        push_number_matching: row
            .try_get::<Option<i64>, _>("push_number_matching")
            .map_err(&err)?
            .map(|v| v != 0),
        push_pin_required: row
            .try_get::<Option<i64>, _>("push_pin_required")
            .map_err(&err)?
            .map(|v| v != 0),
        welcome_email: row
            .try_get::<Option<i64>, _>("welcome_email")
            .map_err(&err)?
            .map(|v| v != 0),
        welcomed_at: row.try_get("welcomed_at").map_err(&err)?,
        pin_hash: row.try_get("pin_hash").map_err(&err)?,
        default_method: row
            .try_get::<Option<String>, _>("default_method")
            .map_err(&err)?
            .and_then(|m| Method::parse(&m)),
        allowed_methods: row
            .try_get::<Option<String>, _>("allowed_methods")
            .map_err(&err)?
            .and_then(|list| parse_list(&list).ok()),
        bypass_until: row.try_get("bypass_until").map_err(&err)?,
        bypass_reason: row.try_get("bypass_reason").map_err(&err)?,
        language: row.try_get("language").map_err(&err)?,
        voice_phone: row.try_get("voice_phone").map_err(&err)?,
    })
}

pub async fn by_id(pool: &AnyPool, id: &str) -> StoreResult<Option<User>> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE id = $1");
    let row = sqlx::query(&sql)
        .bind(outside_text(id))
        .fetch_optional(pool)
        .await
        .map_err(db_error("reading user"))?;
    row.map(|r| from_row(&r)).transpose()
}

pub(crate) fn mark_welcomed_query(user_id: &str, now: i64) -> AnyQuery<'_> {
    sqlx::query("UPDATE users SET welcomed_at = $1 WHERE id = $2 AND welcomed_at IS NULL")
        .bind(now)
        .bind(user_id)
}

pub async fn mark_welcomed(pool: &AnyPool, user_id: &str, now: i64) -> StoreResult<()> {
    mark_welcomed_query(user_id, now)
        .execute(pool)
        .await
        .map_err(db_error("marking user welcomed"))?;
    Ok(())
}

/// Users with this phone number (E.164), for inbound SMS.
pub async fn by_phone(pool: &AnyPool, phone: &str) -> StoreResult<Vec<User>> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE phone = $1");
    let rows = sqlx::query(&sql)
        .bind(outside_text(phone))
        .fetch_all(pool)
        .await
        .map_err(db_error("reading users by phone"))?;
    rows.iter().map(from_row).collect()
}

/// Sets (or with `None` removes) the user's PIN hash.
pub async fn set_pin(pool: &AnyPool, user_id: &str, pin_hash: Option<&str>) -> StoreResult<()> {
    sqlx::query("UPDATE users SET pin_hash = $1 WHERE id = $2")
        .bind(pin_hash)
        .bind(user_id)
        .execute(pool)
        .await
        .map_err(db_error("setting PIN"))?;
    Ok(())
}

pub async fn pin_hash(pool: &AnyPool, user_id: &str) -> StoreResult<Option<String>> {
    let row = sqlx::query("SELECT pin_hash FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_optional(pool)
        .await
        .map_err(db_error("reading PIN"))?;
    Ok(row.and_then(|r| r.try_get::<Option<String>, _>(0).ok().flatten()))
}

/// The user and their tokens in one round trip: the verification hot path.
pub async fn with_tokens(
    pool: &AnyPool,
    username: &str,
) -> StoreResult<Option<(User, Vec<StoredToken>)>> {
    let user_columns: Vec<String> = COLUMNS
        .split(',')
        .map(|c| format!("u.{}", c.trim()))
        .collect();
    let sql = format!(
        "SELECT {}, t.id AS t_id, t.kind AS t_kind, t.algorithm AS t_algorithm, t.digits AS t_digits, \
         t.period AS t_period, t.last_used AS t_last_used, t.drift AS t_drift, t.secret AS t_secret, \
         t.created_at AS t_created_at, t.last_used_at AS t_last_used_at, t.serial AS t_serial, t.issuer AS t_issuer \
         FROM users u LEFT JOIN tokens t ON t.user_id = u.id WHERE u.username_key = $1 ORDER BY t.created_at, t.id",
        user_columns.join(", ")
    );
    let rows = sqlx::query(&sql)
        .bind(outside_text(&username_key(username)))
        .fetch_all(pool)
        .await
        .map_err(db_error("reading user and tokens"))?;
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let user = from_row(first)?;
    let mut tokens = Vec::new();
    for row in &rows {
        let token_id: Option<String> = row.try_get("t_id").map_err(db_error("reading token"))?;
        if token_id.is_some() {
            tokens.push(crate::tokens::from_row_as(row, "t_", user.id.clone())?);
        }
    }
    Ok(Some((user, tokens)))
}

#[async_trait]
impl UserStore for SqlStore {
    async fn insert_user(&self, user: &User) -> StoreResult<()> {
        insert(&self.writer, user).await
    }
    async fn user_by_name(&self, username: &str) -> StoreResult<Option<User>> {
        by_name(&self.pool, username).await
    }
    async fn user_by_id(&self, id: &str) -> StoreResult<Option<User>> {
        by_id(&self.pool, id).await
    }
    async fn set_pin(&self, user_id: &str, pin_hash: Option<&str>) -> StoreResult<()> {
        set_pin(&self.writer, user_id, pin_hash).await
    }
    async fn pin_hash(&self, user_id: &str) -> StoreResult<Option<String>> {
        pin_hash(&self.pool, user_id).await
    }
    async fn user_with_tokens(
        &self,
        username: &str,
    ) -> StoreResult<Option<(User, Vec<StoredToken>)>> {
        match &self.direct {
            Some(direct) => direct.reads.user_with_tokens(username),
            None => with_tokens(&self.pool, username).await,
        }
    }
    async fn mark_welcomed(&self, user_id: &str, now: i64) -> StoreResult<()> {
        mark_welcomed(&self.writer, user_id, now).await
    }
    async fn list_users(&self, query: &UserQuery) -> StoreResult<Vec<User>> {
        list(&self.pool, query).await
    }
    async fn update_user(&self, user: &User) -> StoreResult<()> {
        update(&self.writer, user).await
    }
    async fn delete_user(&self, user_id: &str) -> StoreResult<bool> {
        delete(&self.writer, user_id).await
    }
    async fn record_failure(
        &self,
        user_id: &str,
        now: i64,
        threshold: i64,
        lock_seconds: i64,
    ) -> StoreResult<FailureState> {
        record_failure(&self.writer, user_id, now, threshold, lock_seconds).await
    }
    async fn clear_failures(&self, user_id: &str) -> StoreResult<()> {
        clear_failures(&self.writer, user_id).await
    }
    async fn set_bypass(&self, user_id: &str, bypass: Option<(i64, &str)>) -> StoreResult<bool> {
        set_bypass(&self.writer, user_id, bypass).await
    }
    async fn take_bypass(&self, user_id: &str, now: i64) -> StoreResult<bool> {
        take_bypass(&self.writer, user_id, now).await
    }
    async fn users_by_phone(&self, phone: &str) -> StoreResult<Vec<User>> {
        by_phone(&self.pool, phone).await
    }
}
