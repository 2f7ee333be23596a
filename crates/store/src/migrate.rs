//! Schema migrations: numbered SQL files per backend, applied in order,
//! each in its own transaction, recorded in `schema_migrations`. On
//! PostgreSQL an advisory lock keeps two nodes starting together from
//! applying the same migration twice.

use countersign_domain::StoreError;
use sqlx::Row;

use crate::{db_error, Backend, BoxFuture, SqlStore};

pub struct Migration {
    pub version: i64,
    pub description: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
}

pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        description: "users, tokens, API keys, audit, meta",
        sqlite: include_str!("../migrations/sqlite/0001_initial.sql"),
        postgres: include_str!("../migrations/postgres/0001_initial.sql"),
    },
    Migration {
        version: 2,
        description: "RADIUS clients and pending challenges",
        sqlite: include_str!("../migrations/sqlite/0002_radius.sql"),
        postgres: include_str!("../migrations/postgres/0002_radius.sql"),
    },
    Migration {
        version: 3,
        description: "authenticator activations, devices, push transactions",
        sqlite: include_str!("../migrations/sqlite/0003_push.sql"),
        postgres: include_str!("../migrations/postgres/0003_push.sql"),
    },
    Migration {
        version: 4,
        description: "per-user push policy",
        sqlite: include_str!("../migrations/sqlite/0004_user_push_policy.sql"),
        postgres: include_str!("../migrations/postgres/0004_user_push_policy.sql"),
    },
    Migration {
        version: 5,
        description: "message outbox, emailed and texted codes, welcome emails",
        sqlite: include_str!("../migrations/sqlite/0005_messages.sql"),
        postgres: include_str!("../migrations/postgres/0005_messages.sql"),
    },
    Migration {
        version: 6,
        description: "user PIN (argon2id) for PIN + code",
        sqlite: include_str!("../migrations/sqlite/0006_user_pin.sql"),
        postgres: include_str!("../migrations/postgres/0006_user_pin.sql"),
    },
    Migration {
        version: 7,
        description: "methods per user, RADIUS client rules, challenge transactions",
        sqlite: include_str!("../migrations/sqlite/0007_methods.sql"),
        postgres: include_str!("../migrations/postgres/0007_methods.sql"),
    },
    Migration {
        version: 8,
        description: "dropped RADIUS requests by client and cause",
        sqlite: include_str!("../migrations/sqlite/0008_radius_drops.sql"),
        postgres: include_str!("../migrations/postgres/0008_radius_drops.sql"),
    },
    Migration {
        version: 9,
        description: "one-time bypass per user",
        sqlite: include_str!("../migrations/sqlite/0009_bypass.sql"),
        postgres: include_str!("../migrations/postgres/0009_bypass.sql"),
    },
    Migration {
        version: 10,
        description: "console administrators",
        sqlite: include_str!("../migrations/sqlite/0010_admins.sql"),
        postgres: include_str!("../migrations/postgres/0010_admins.sql"),
    },
    Migration {
        version: 11,
        description: "token pool: tokens without a user, serial numbers, issuer; user language",
        sqlite: include_str!("../migrations/sqlite/0011_token_pool.sql"),
        postgres: include_str!("../migrations/postgres/0011_token_pool.sql"),
    },
    Migration {
        version: 12,
        description: "Web Push subscriptions of the web app",
        sqlite: include_str!("../migrations/sqlite/0012_webpush.sql"),
        postgres: include_str!("../migrations/postgres/0012_webpush.sql"),
    },
    Migration {
        version: 13,
        description: "console sessions, administrators' second factor",
        sqlite: include_str!("../migrations/sqlite/0013_console_sessions.sql"),
        postgres: include_str!("../migrations/postgres/0013_console_sessions.sql"),
    },
    Migration {
        version: 14,
        description: "API keys' last use",
        sqlite: include_str!("../migrations/sqlite/0014_api_key_last_used.sql"),
        postgres: include_str!("../migrations/postgres/0014_api_key_last_used.sql"),
    },
    Migration {
        version: 15,
        description: "user portal: sessions, enrolment links, passwords, token labels",
        sqlite: include_str!("../migrations/sqlite/0015_portal.sql"),
        postgres: include_str!("../migrations/postgres/0015_portal.sql"),
    },
    Migration {
        version: 17,
        description: "users linked to the directory by its unique id",
        sqlite: include_str!("../migrations/sqlite/0017_directory.sql"),
        postgres: include_str!("../migrations/postgres/0017_directory.sql"),
    },
    Migration {
        version: 18,
        description: "one sessions table for administrators and users",
        sqlite: include_str!("../migrations/sqlite/0018_sessions.sql"),
        postgres: include_str!("../migrations/postgres/0018_sessions.sql"),
    },
    Migration {
        version: 19,
        description: "the log of codes sent, behind the send limits",
        sqlite: include_str!("../migrations/sqlite/0019_code_sends.sql"),
        postgres: include_str!("../migrations/postgres/0019_code_sends.sql"),
    },
    Migration {
        version: 20,
        description: "passkeys: WebAuthn credentials and ceremony challenges",
        sqlite: include_str!("../migrations/sqlite/0020_webauthn.sql"),
        postgres: include_str!("../migrations/postgres/0020_webauthn.sql"),
    },
    Migration {
        version: 21,
        description: "users' voice_phone: the number a call dials",
        sqlite: include_str!("../migrations/sqlite/0021_voice_phone.sql"),
        postgres: include_str!("../migrations/postgres/0021_voice_phone.sql"),
    },
    Migration {
        version: 22,
        description: "upstream RADIUS answers must carry Message-Authenticator (per client)",
        sqlite: include_str!("../migrations/sqlite/0022_upstream_message_authenticator.sql"),
        postgres: include_str!("../migrations/postgres/0022_upstream_message_authenticator.sql"),
    },
    Migration {
        version: 24,
        description: "OpenID Provider: clients, signing keys, grants, refresh tokens",
        sqlite: include_str!("../migrations/sqlite/0024_oidc.sql"),
        postgres: include_str!("../migrations/postgres/0024_oidc.sql"),
    },
    Migration {
        version: 25,
        description: "groups and their members; the rule an audit record names",
        sqlite: include_str!("../migrations/sqlite/0025_groups_rules.sql"),
        postgres: include_str!("../migrations/postgres/0025_groups_rules.sql"),
    },
    Migration {
        version: 26,
        description: "remembered browsers: a keyed hash of each cookie, its user, label and days",
        sqlite: include_str!("../migrations/sqlite/0026_remembered_devices.sql"),
        postgres: include_str!("../migrations/postgres/0026_remembered_devices.sql"),
    },
];

/// An arbitrary constant naming Countersign's migration lock.
const PG_LOCK_ID: i64 = 0x0063_6f75_6e74_6572;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationStatus {
    pub version: i64,
    pub description: &'static str,
    pub applied: bool,
}

/// Applies every pending migration; returns the versions applied now.
pub fn run(store: &SqlStore) -> BoxFuture<'_, Result<Vec<i64>, StoreError>> {
    // Transactions on sqlx's Any connections make futures the compiler cannot
    // prove Send; running them on a blocking thread of the same runtime keeps
    // every caller's future Send. Migrations run once, so the thread is cheap.
    let store = store.clone();
    let handle = tokio::runtime::Handle::current();
    Box::pin(async move {
        tokio::task::spawn_blocking(move || handle.block_on(run_inner(&store)))
            .await
            .map_err(|e| StoreError::Backend(format!("migrations stopped: {e}")))?
    })
}

async fn run_inner(store: &SqlStore) -> Result<Vec<i64>, StoreError> {
    refuse_newer(store).await?;
    let mut done = Vec::new();
    for migration in MIGRATIONS {
        let what = format!(
            "migration {} ({})",
            migration.version, migration.description
        );
        let mut tx = store.writer.begin().await.map_err(db_error(&what))?;
        if store.backend == Backend::Postgres {
            // Held until commit: a second node starting now waits, then sees the migration applied.
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(PG_LOCK_ID)
                .execute(&mut *tx)
                .await
                .map_err(db_error("migration lock"))?;
        }
        // Under the lock: nodes starting together on an empty database
        // would otherwise race to create the table.
        sqlx::query(CREATE_TABLE)
            .execute(&mut *tx)
            .await
            .map_err(db_error("creating schema_migrations"))?;
        let applied = sqlx::query("SELECT version FROM schema_migrations WHERE version = $1")
            .bind(migration.version)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_error(&what))?;
        if applied.is_some() {
            continue;
        }
        let sql = match store.backend {
            Backend::Sqlite => migration.sqlite,
            Backend::Postgres => migration.postgres,
        };
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

/// Versions applied to this database that this build does not know: a later
/// release upgraded it (or it is another program's database).
pub async fn unknown_applied(store: &SqlStore) -> Vec<i64> {
    // Before the first migration the table does not exist: nothing is applied.
    let rows = sqlx::query("SELECT version FROM schema_migrations ORDER BY version")
        .fetch_all(&store.pool)
        .await
        .unwrap_or_default();
    rows.iter()
        .filter_map(|r| r.try_get::<i64, _>(0).ok())
        .filter(|v| !MIGRATIONS.iter().any(|m| m.version == *v))
        .collect()
}

/// Refuses a database whose schema is newer than this build knows: running
/// old code on it could misread or damage what the newer release wrote.
async fn refuse_newer(store: &SqlStore) -> Result<(), StoreError> {
    let unknown = unknown_applied(store).await;
    if unknown.is_empty() {
        return Ok(());
    }
    Err(StoreError::Backend(newer_schema_message(&unknown)))
}

/// The words for a schema newer than this build: what and what to do.
pub fn newer_schema_message(unknown: &[i64]) -> String {
    let list: Vec<String> = unknown.iter().map(i64::to_string).collect();
    format!(
        "the database schema is newer than this countersign ({}) knows: migration(s) {} were \
         applied by a later release (this one knows up to {}). Run the release that upgraded \
         the database, or restore a backup made before the upgrade; countersign does not \
         downgrade a schema",
        env!("CARGO_PKG_VERSION"),
        list.join(", "),
        MIGRATIONS.last().map_or(0, |m| m.version),
    )
}

/// Which migrations exist and whether each is applied.
pub async fn status(store: &SqlStore) -> Result<Vec<MigrationStatus>, StoreError> {
    // Before the first migration the table does not exist: nothing is applied.
    let rows = sqlx::query("SELECT version FROM schema_migrations ORDER BY version")
        .fetch_all(&store.pool)
        .await
        .unwrap_or_default();
    let applied = rows
        .iter()
        .map(|r| {
            r.try_get::<i64, _>(0)
                .map_err(db_error("reading schema_migrations"))
        })
        .collect::<Result<Vec<i64>, _>>()?;
    Ok(MIGRATIONS
        .iter()
        .map(|m| MigrationStatus {
            version: m.version,
            description: m.description,
            applied: applied.contains(&m.version),
        })
        .collect())
}

const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_migrations \
    (version BIGINT PRIMARY KEY, description TEXT NOT NULL, applied_at BIGINT NOT NULL)";

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
