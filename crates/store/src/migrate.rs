//! Schema migrations: numbered SQL files per backend, applied in order,
//! each in its own transaction, recorded in `schema_migrations`. On
//! PostgreSQL an advisory lock keeps two nodes starting together from
//! applying the same migration twice.

use countersign_domain::StoreError;
use sqlx::AnyConnection;
use sqlx::{Acquire, Row};

use crate::{db_error, Backend, SqlStore};

pub struct Migration {
    pub version: i64,
    pub description: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
}

pub const MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    description: "users, tokens, API keys, audit, meta",
    sqlite: include_str!("../migrations/sqlite/0001_initial.sql"),
    postgres: include_str!("../migrations/postgres/0001_initial.sql"),
}];

/// An arbitrary constant naming Countersign's migration lock.
const PG_LOCK_ID: i64 = 0x0063_6f75_6e74_6572;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationStatus {
    pub version: i64,
    pub description: &'static str,
    pub applied: bool,
}

/// Applies every pending migration; returns the versions applied now.
pub async fn run(store: &SqlStore) -> Result<Vec<i64>, StoreError> {
    let mut conn = store.pool.acquire().await.map_err(db_error("migrations"))?;
    ensure_table(&mut conn).await?;
    if store.backend == Backend::Postgres {
        sqlx::query("SELECT pg_advisory_lock($1)")
            .bind(PG_LOCK_ID)
            .execute(&mut *conn)
            .await
            .map_err(db_error("migration lock"))?;
    }
    let result = apply_pending(&mut conn, store.backend).await;
    if store.backend == Backend::Postgres {
        let _ = sqlx::query("SELECT pg_advisory_unlock($1)")
            .bind(PG_LOCK_ID)
            .execute(&mut *conn)
            .await;
    }
    result
}

/// Which migrations exist and whether each is applied.
pub async fn status(store: &SqlStore) -> Result<Vec<MigrationStatus>, StoreError> {
    let mut conn = store.pool.acquire().await.map_err(db_error("migrations"))?;
    ensure_table(&mut conn).await?;
    let applied = applied_versions(&mut conn).await?;
    Ok(MIGRATIONS
        .iter()
        .map(|m| MigrationStatus {
            version: m.version,
            description: m.description,
            applied: applied.contains(&m.version),
        })
        .collect())
}

async fn ensure_table(conn: &mut AnyConnection) -> Result<(), StoreError> {
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, description TEXT NOT NULL, applied_at BIGINT NOT NULL)",
    )
    .execute(&mut *conn)
    .await
    .map_err(db_error("creating schema_migrations"))?;
    Ok(())
}

async fn applied_versions(conn: &mut AnyConnection) -> Result<Vec<i64>, StoreError> {
    let rows = sqlx::query("SELECT version FROM schema_migrations ORDER BY version")
        .fetch_all(&mut *conn)
        .await
        .map_err(db_error("reading schema_migrations"))?;
    rows.iter()
        .map(|r| {
            r.try_get::<i64, _>(0)
                .map_err(db_error("reading schema_migrations"))
        })
        .collect()
}

async fn apply_pending(conn: &mut AnyConnection, backend: Backend) -> Result<Vec<i64>, StoreError> {
    let applied = applied_versions(conn).await?;
    let mut done = Vec::new();
    for migration in MIGRATIONS.iter().filter(|m| !applied.contains(&m.version)) {
        let sql = match backend {
            Backend::Sqlite => migration.sqlite,
            Backend::Postgres => migration.postgres,
        };
        let what = format!(
            "migration {} ({})",
            migration.version, migration.description
        );
        let mut tx = conn.begin().await.map_err(db_error(&what))?;
        sqlx::raw_sql(sql)
            .execute(&mut *tx)
            .await
            .map_err(db_error(&what))?;
        sqlx::query(
            "INSERT INTO schema_migrations (version, description, applied_at) VALUES ($1, $2, $3)",
        )
        .bind(migration.version)
        .bind(migration.description)
        .bind(unix_now())
        .execute(&mut *tx)
        .await
        .map_err(db_error(&what))?;
        tx.commit().await.map_err(db_error(&what))?;
        tracing::info!(
            version = migration.version,
            description = migration.description,
            "migration applied"
        );
        done.push(migration.version);
    }
    Ok(done)
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
