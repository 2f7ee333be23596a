//! Opening the database: SQLite (WAL) from a path, PostgreSQL from a URL.

use std::time::Duration;

use countersign_domain::StoreError;
use sqlx::any::AnyPoolOptions;
use sqlx::Executor;

use crate::{migrate, BoxFuture, SqlStore};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }

    pub fn of_url(url: &str) -> Option<Backend> {
        if url.starts_with("sqlite:") {
            Some(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Backend::Postgres)
        } else {
            None
        }
    }
}

/// The default of [`StoreOptions::acquire_timeout`] (`database.acquire_timeout_seconds`).
pub const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);

#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// `sqlite://PATH` or `postgres://...`.
    pub url: String,
    pub max_connections: u32,
    /// How long a query waits for a connection before it fails. While the
    /// database is unreachable every query waits this long, so it bounds how
    /// long a client waits for its error.
    pub acquire_timeout: Duration,
    /// Run pending migrations while opening.
    pub migrate: bool,
}

/// Opens the pool, applies the connection settings and, if asked, the migrations.
pub fn open(options: &StoreOptions) -> BoxFuture<'_, Result<SqlStore, StoreError>> {
    Box::pin(open_inner(options))
}

async fn open_inner(options: &StoreOptions) -> Result<SqlStore, StoreError> {
    sqlx::any::install_default_drivers();
    let backend = Backend::of_url(&options.url).ok_or_else(|| {
        StoreError::Backend(format!(
            "database.url '{}' is neither sqlite://PATH nor postgres://...",
            redact(&options.url)
        ))
    })?;
    let url = match backend {
        Backend::Sqlite if !options.url.contains('?') => format!("{}?mode=rwc", options.url),
        _ => options.url.clone(),
    };
    let pool = pool_options(backend, options.max_connections, options.acquire_timeout)
        .connect(&url)
        .await
        .map_err(|e| StoreError::Backend(connect_advice(backend, &options.url, &e)))?;
    // SQLite has one writer at a time: one writing connection makes writers
    // queue here, in order, instead of sleeping in SQLite's busy handler.
    let writer = match backend {
        Backend::Sqlite => pool_options(backend, 1, options.acquire_timeout)
            .connect(&url)
            .await
            .map_err(|e| StoreError::Backend(connect_advice(backend, &options.url, &e)))?,
        Backend::Postgres => pool.clone(),
    };
    let mut store = SqlStore {
        pool,
        writer,
        backend,
        direct: None,
        tap: crate::Tap::default(),
    };
    if options.migrate {
        migrate::run(&store).await?;
    }
    if backend == Backend::Sqlite {
        let path = crate::sqlite::path_of_url(&options.url)?;
        store.direct = Some(std::sync::Arc::new(crate::sqlite::Direct::open(&path)?));
    }
    Ok(store)
}

fn pool_options(backend: Backend, connections: u32, acquire_timeout: Duration) -> AnyPoolOptions {
    AnyPoolOptions::new()
        .max_connections(connections.max(1))
        .acquire_timeout(acquire_timeout)
        // A connection that PostgreSQL ended (a restart, a failover) is
        // found dead here and replaced, instead of failing a request.
        .test_before_acquire(true)
        .after_connect(move |conn, _meta| {
            Box::pin(async move {
                if backend == Backend::Sqlite {
                    // WAL lets readers run beside the writer; NORMAL is durable across
                    // application crashes, and busy_timeout covers other processes (the CLI).
                    conn.execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 10000;")
                        .await?;
                }
                Ok(())
            })
        })
}

fn connect_advice(backend: Backend, url: &str, err: &sqlx::Error) -> String {
    let hint = match backend {
        Backend::Sqlite => "check that the data directory exists and is writable by this user",
        Backend::Postgres => "check that PostgreSQL is running, the address and database name are right, and the user may connect",
    };
    format!(
        "cannot open the {} database at {}: {err}; {hint}",
        backend.name(),
        redact(url)
    )
}

/// The URL without its password, for messages and logs.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_hidden_and_backends_known() {
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(Backend::of_url("sqlite://x.db"), Some(Backend::Sqlite));
        assert_eq!(
            Backend::of_url("postgresql://h/db"),
            Some(Backend::Postgres)
        );
        assert_eq!(Backend::of_url("mysql://h/db"), None);
    }
}
