//! A fresh store for the store's tests: SQLite in a temporary directory or
//! a fresh PostgreSQL database, kept as long as the guard lives.

use countersign_store::{open, SqlStore, StoreOptions};
use countersign_testkit::{TempDir, TempPostgres};

/// Keeps the database alive as long as the store under test.
pub enum Guard {
    Sqlite(#[allow(dead_code)] TempDir),
    Postgres(#[allow(dead_code)] TempPostgres),
}

pub async fn sqlite() -> (SqlStore, Guard) {
    let dir = TempDir::new("store");
    let url = format!("sqlite://{}", dir.path().join("test.db").display());
    (open_url(&url).await, Guard::Sqlite(dir))
}

pub async fn postgres() -> (SqlStore, Guard) {
    let db = TempPostgres::new().await;
    (open_url(db.url()).await, Guard::Postgres(db))
}

async fn open_url(url: &str) -> SqlStore {
    let options = StoreOptions {
        url: url.to_string(),
        max_connections: 8,
        acquire_timeout: countersign_store::ACQUIRE_TIMEOUT,
        migrate: true,
    };
    open(&options).await.expect("open store")
}
