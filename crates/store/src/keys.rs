//! The `api_keys` table: hashes only.

use crate::SqlStore;
use async_trait::async_trait;
use countersign_domain::ports::ApiKeyStore;
use countersign_domain::ports::StoreResult;
use countersign_domain::{ApiKey, Scope};
use sqlx::any::AnyRow;
use sqlx::{AnyPool, Row};

use crate::{db_error, outside_text, Backend};

const COLUMNS: &str = "id, name, prefix, hash, scopes, created_at, revoked_at, last_used_at";

pub async fn insert(pool: &AnyPool, key: &ApiKey) -> StoreResult<()> {
    sqlx::query("INSERT INTO api_keys (id, name, prefix, hash, scopes, created_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(&key.id)
        .bind(&key.name)
        .bind(&key.prefix)
        .bind(key.hash.clone())
        .bind(Scope::join(&key.scopes))
        .bind(key.created_at)
        .bind(key.revoked_at)
        .execute(pool)
        .await
        .map_err(db_error("API key"))?;
    Ok(())
}

pub async fn by_prefix(pool: &AnyPool, prefix: &str) -> StoreResult<Option<ApiKey>> {
    let sql = format!("SELECT {COLUMNS} FROM api_keys WHERE prefix = $1");
    let row = sqlx::query(&sql)
        .bind(outside_text(prefix))
        .fetch_optional(pool)
        .await
        .map_err(db_error("reading API key"))?;
    row.map(|r| from_row(&r)).transpose()
}

pub async fn list(pool: &AnyPool) -> StoreResult<Vec<ApiKey>> {
    let sql = format!("SELECT {COLUMNS} FROM api_keys ORDER BY name, created_at");
    let rows = sqlx::query(&sql)
        .fetch_all(pool)
        .await
        .map_err(db_error("listing API keys"))?;
    rows.iter().map(from_row).collect()
}

/// Revokes the live key of that name. On PostgreSQL every node is told in
/// the same transaction (NOTIFY is delivered at commit) and empties its key
/// cache when it hears it; this returns [`REVOCATION_GRACE`] after the
/// commit, so that when `apikey revoke` says "revoked" every node has
/// heard, even a busy one (a node that is not listening caches nothing).
pub async fn revoke(pool: &AnyPool, backend: Backend, name: &str, now: i64) -> StoreResult<bool> {
    let err = db_error("revoking API key");
    let mut tx = pool.begin().await.map_err(&err)?;
    let rows = sqlx::query(
        "UPDATE api_keys SET revoked_at = $1 WHERE name = $2 AND revoked_at IS NULL RETURNING prefix",
    )
    .bind(now)
    .bind(name)
    .fetch_all(&mut *tx)
    .await
    .map_err(&err)?;
    if backend == Backend::Postgres {
        for row in &rows {
            let prefix: String = row.try_get(0).map_err(&err)?;
            sqlx::query("SELECT pg_notify($1, $2)")
                .bind(KEYS_CHANNEL)
                .bind(prefix)
                .execute(&mut *tx)
                .await
                .map_err(&err)?;
        }
    }
    tx.commit().await.map_err(&err)?;
    if backend == Backend::Postgres && !rows.is_empty() {
        tokio::time::sleep(REVOCATION_GRACE).await;
    }
    Ok(!rows.is_empty())
}

/// How long a revocation waits for the other nodes to hear its NOTIFY.
pub const REVOCATION_GRACE: std::time::Duration = std::time::Duration::from_millis(500);

/// The PostgreSQL channel on which revocations are announced (payload: the key's prefix).
pub const KEYS_CHANNEL: &str = "countersign_api_keys";

/// What the revocation listener reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyEvent {
    /// Listening: from now on every revocation is heard.
    Listening,
    /// A key was revoked (on any node, or by the CLI).
    Revoked(String),
    /// The connection dropped: revocations may be missed until `Listening` again.
    Interrupted,
}

/// Listens for revocations on PostgreSQL and reports them to `on_event`,
/// reconnecting when the connection drops. Stops when `on_event` returns false.
pub fn spawn_revocation_listener(
    url: String,
    on_event: impl Fn(KeyEvent) -> bool + Send + Sync + 'static,
) {
    tokio::spawn(async move {
        loop {
            let result = listen_for_revocations(&url, &on_event).await;
            if !on_event(KeyEvent::Interrupted) {
                return;
            }
            match result {
                Ok(()) => return,
                Err(e) => {
                    tracing::warn!(error = %e, "API key revocations from other nodes interrupted; reconnecting (keys are read from the database meanwhile)");
                    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                }
            }
        }
    });
}

async fn listen_for_revocations(
    url: &str,
    on_event: &(impl Fn(KeyEvent) -> bool + Send + Sync),
) -> Result<(), sqlx::Error> {
    let mut listener = sqlx::postgres::PgListener::connect(url).await?;
    listener.listen(KEYS_CHANNEL).await?;
    if !on_event(KeyEvent::Listening) {
        return Ok(());
    }
    loop {
        match listener.try_recv().await? {
            Some(notification) => {
                if !on_event(KeyEvent::Revoked(notification.payload().to_string())) {
                    return Ok(());
                }
            }
            // The connection dropped: notifications sent meanwhile are lost,
            // so say so (the cache stops answering) before listening again.
            None => return Err(sqlx::Error::PoolClosed),
        }
    }
}

pub async fn touch(pool: &AnyPool, id: &str, now: i64) -> StoreResult<()> {
    sqlx::query("UPDATE api_keys SET last_used_at = $1 WHERE id = $2")
        .bind(now)
        .bind(id)
        .execute(pool)
        .await
        .map_err(db_error("recording API key use"))?;
    Ok(())
}

fn from_row(row: &AnyRow) -> StoreResult<ApiKey> {
    let err = db_error("reading API key");
    let scopes: String = row.try_get("scopes").map_err(&err)?;
    Ok(ApiKey {
        id: row.try_get("id").map_err(&err)?,
        name: row.try_get("name").map_err(&err)?,
        prefix: row.try_get("prefix").map_err(&err)?,
        hash: row.try_get("hash").map_err(&err)?,
        // A scope this version does not know is dropped rather than failing every request.
        scopes: scopes
            .split(',')
            .filter_map(|s| Scope::parse_list(s).ok())
            .flatten()
            .collect(),
        created_at: row.try_get("created_at").map_err(&err)?,
        revoked_at: row.try_get("revoked_at").map_err(&err)?,
        last_used_at: row.try_get("last_used_at").map_err(&err)?,
    })
}

#[async_trait]
impl ApiKeyStore for SqlStore {
    async fn insert_api_key(&self, key: &ApiKey) -> StoreResult<()> {
        insert(&self.writer, key).await
    }
    async fn api_key_by_prefix(&self, prefix: &str) -> StoreResult<Option<ApiKey>> {
        match &self.direct {
            Some(direct) => direct.reads.api_key_by_prefix(prefix),
            None => by_prefix(&self.pool, prefix).await,
        }
    }
    async fn list_api_keys(&self) -> StoreResult<Vec<ApiKey>> {
        list(&self.pool).await
    }
    async fn revoke_api_key(&self, name: &str, now: i64) -> StoreResult<bool> {
        revoke(&self.writer, self.backend, name, now).await
    }
    async fn touch_api_key(&self, id: &str, now: i64) -> StoreResult<()> {
        touch(&self.writer, id, now).await
    }
}
