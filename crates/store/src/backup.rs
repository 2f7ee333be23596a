//! What `countersign backup` and `restore` need from the store: a
//! consistent copy of a live SQLite database, and the sealed rows that
//! prove a key belongs to a database file.

use std::path::Path;

use countersign_domain::ports::StoreResult;
use countersign_domain::StoreError;
use sqlx::Row;

use crate::{db_error, Backend, SqlStore};

impl SqlStore {
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Writes a consistent copy of the SQLite database to `dest` (which
    /// must not exist) with `VACUUM INTO`: one read transaction, so the copy
    /// is the database as of one moment, while the server keeps writing
    /// (WAL: readers never block the writer).
    pub async fn snapshot_sqlite(&self, dest: &Path) -> StoreResult<()> {
        if self.backend != Backend::Sqlite {
            return Err(StoreError::Backend(
                "only a SQLite database can be copied by countersign: back up PostgreSQL with pg_dump".into(),
            ));
        }
        let dest = dest.to_str().ok_or_else(|| {
            StoreError::Backend(format!("the path {} is not UTF-8", dest.display()))
        })?;
        sqlx::query("VACUUM INTO $1")
            .bind(dest.to_string())
            .execute(&self.pool)
            .await
            .map_err(db_error("copying the database (VACUUM INTO)"))?;
        Ok(())
    }
}

/// What `restore` checks in a database file before it takes its place.
#[derive(Debug, Default)]
pub struct SealedRows {
    /// The meta row `key_check`, sealed with the database's key.
    pub key_check: Option<Vec<u8>>,
    /// Tokens' ids and sealed seeds.
    pub tokens: Vec<(String, Vec<u8>)>,
    /// Migration versions applied to it.
    pub schema: Vec<i64>,
}

/// Reads a SQLite file that no store has open (read-only, one connection,
/// closed before returning): its key check value, up to `limit` sealed
/// token seeds and its applied migrations.
pub async fn read_sealed_rows(path: &Path, limit: i64) -> StoreResult<SealedRows> {
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    let url = format!("sqlite://{}?mode=ro", path.display());
    let mut conn = sqlx::AnyConnection::connect(&url)
        .await
        .map_err(db_error("opening the restored database"))?;
    let read = async {
        let key_check = sqlx::query("SELECT value FROM meta WHERE key = 'key_check'")
            .fetch_optional(&mut conn)
            .await
            .map_err(db_error("reading meta"))?
            .map(|r| r.try_get::<Vec<u8>, _>(0).map_err(db_error("reading meta")))
            .transpose()?;
        let tokens = sqlx::query("SELECT id, secret FROM tokens ORDER BY id LIMIT $1")
            .bind(limit)
            .fetch_all(&mut conn)
            .await
            .map_err(db_error("reading tokens"))?
            .iter()
            .map(|r| {
                Ok((
                    r.try_get::<String, _>(0)
                        .map_err(db_error("reading tokens"))?,
                    r.try_get::<Vec<u8>, _>(1)
                        .map_err(db_error("reading tokens"))?,
                ))
            })
            .collect::<StoreResult<Vec<_>>>()?;
        let schema = sqlx::query("SELECT version FROM schema_migrations ORDER BY version")
            .fetch_all(&mut conn)
            .await
            .map_err(db_error("reading schema_migrations"))?
            .iter()
            .filter_map(|r| r.try_get::<i64, _>(0).ok())
            .collect();
        Ok(SealedRows {
            key_check,
            tokens,
            schema,
        })
    }
    .await;
    let _ = conn.close().await;
    read
}
