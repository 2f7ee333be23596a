//! `countersign backup FILE`: a consistent copy of the live SQLite database
//! and the encryption key in one file (format: `countersign_domain::crypto::backup`),
//! recorded in the store for `doctor`. On PostgreSQL, `--key-only` keeps the
//! key and records the backup; pg_dump keeps the data.

mod restore;

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use countersign_domain::crypto::backup::{self, Header};
use countersign_domain::MetaStore;
use countersign_store::{Backend, SqlStore, StoreOptions};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::cli::Output;
use crate::config::Config;
use crate::secret_key;

pub use restore::{restore, RestoreArgs};

/// The meta row where each backup is recorded.
pub const LAST_BACKUP_META: &str = "last_backup";

#[derive(Debug, Serialize, Deserialize)]
pub struct LastBackup {
    pub at: i64,
    pub file: String,
    pub key_only: bool,
}

pub struct BackupArgs {
    pub file: PathBuf,
    pub passphrase_file: Option<PathBuf>,
    pub key_only: bool,
}

pub async fn backup(config: &Config, args: BackupArgs, out: &Output) -> Result<ExitCode> {
    if args.file.exists() {
        bail!(
            "{} already exists: choose a new file name (backups are never overwritten)",
            args.file.display()
        );
    }
    let passphrase = read_passphrase(args.passphrase_file.as_deref())?;
    let Some((key_text, _)) = secret_key::key_text(config)? else {
        bail!("there is no encryption key yet (start the server once), so there is nothing to back up");
    };
    let store = open_existing(config).await?;
    let key = secret_key::decode(&key_text)?;
    if !secret_key::matches_store(&key, &store).await? {
        bail!("the configured encryption key does not open this database: a backup with it would be useless. Configure the key the database was written with");
    }
    let key_only = match (store.backend(), args.key_only) {
        (Backend::Sqlite, key_only) => key_only,
        (Backend::Postgres, true) => true,
        (Backend::Postgres, false) => bail!(
            "the database is PostgreSQL: back it up with pg_dump, and keep the key with \
             `countersign backup --key-only FILE` (that also records the backup for doctor)"
        ),
    };
    let database = if key_only {
        Vec::new()
    } else {
        snapshot(&store, &args.file).await?
    };
    let header = Header {
        created_at: now(),
        countersign: env!("CARGO_PKG_VERSION").to_string(),
        schema: applied_schema(&store).await?,
        database: store.backend().name().to_string(),
        database_bytes: 0,
        database_sha256: String::new(),
        key: backup::key_entry(&key_text, passphrase.as_deref())?,
    };
    let created_at = header.created_at;
    write_private(&args.file, &backup::encode(header, &database))?;
    record(&store, &args.file, created_at, key_only).await?;
    store.close().await;
    let sealed = passphrase.is_some();
    let value = json!({"file": args.file, "database_bytes": database.len(), "key_only": key_only, "key_sealed": sealed, "created_at": created_at});
    out.show(&value, || {
        let what = if key_only {
            "the encryption key".to_string()
        } else {
            format!(
                "the database ({} bytes) and the encryption key",
                database.len()
            )
        };
        let key = if sealed {
            "sealed with the passphrase"
        } else {
            "in clear: keep the file as private as the key (mode 0600)"
        };
        format!(
            "backup written to {}: {what}; the key is {key}",
            args.file.display()
        )
    });
    Ok(ExitCode::SUCCESS)
}

/// The store as it is: no migrations, nothing created.
pub(crate) async fn open_existing(config: &Config) -> Result<SqlStore> {
    if let Ok(path) = countersign_store::sqlite::path_of_url(&config.database_url) {
        if config.database_url.starts_with("sqlite:") && !path.exists() {
            bail!(
                "there is no database at {} (check --data-dir or database.url)",
                path.display()
            );
        }
    }
    let options = StoreOptions {
        url: config.database_url.clone(),
        max_connections: 2,
        acquire_timeout: countersign_store::ACQUIRE_TIMEOUT,
        migrate: false,
    };
    Ok(countersign_store::open(&options).await?)
}

/// `VACUUM INTO` a file beside the destination, read it, remove it.
async fn snapshot(store: &SqlStore, dest: &Path) -> Result<Vec<u8>> {
    let partial = sibling(dest, &format!(".snapshot-{}", std::process::id()));
    let _ = std::fs::remove_file(&partial);
    let copied = store.snapshot_sqlite(&partial).await;
    let bytes = copied
        .map_err(anyhow::Error::from)
        .and_then(|()| std::fs::read(&partial).context("reading the database copy"));
    let _ = std::fs::remove_file(&partial);
    bytes.with_context(|| {
        format!(
            "cannot copy the database next to {}: is the directory writable?",
            dest.display()
        )
    })
}

async fn applied_schema(store: &SqlStore) -> Result<Vec<i64>> {
    let status = countersign_store::migrate::status(store).await?;
    let mut applied: Vec<i64> = status
        .iter()
        .filter(|m| m.applied)
        .map(|m| m.version)
        .collect();
    applied.extend(countersign_store::migrate::unknown_applied(store).await);
    Ok(applied)
}

async fn record(store: &SqlStore, file: &Path, at: i64, key_only: bool) -> Result<()> {
    let file = std::fs::canonicalize(file).unwrap_or_else(|_| file.to_path_buf());
    let entry = LastBackup {
        at,
        file: file.display().to_string(),
        key_only,
    };
    let value = serde_json::to_vec(&entry)?;
    store
        .put_meta(LAST_BACKUP_META, &value)
        .await
        .context("recording the backup in the database")?;
    Ok(())
}

/// Writes `bytes` to `path` (mode 0600) through a temporary file and a rename,
/// so a half-written file never carries the final name.
pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    let partial = sibling(path, ".partial");
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&partial)
        .with_context(|| format!("cannot write {}", partial.display()))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .with_context(|| format!("cannot write {}", partial.display()))?;
    std::fs::rename(&partial, path)
        .with_context(|| format!("cannot rename {} to {}", partial.display(), path.display()))
}

pub(crate) fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    path.with_file_name(name)
}

pub(crate) fn read_passphrase(file: Option<&Path>) -> Result<Option<String>> {
    let Some(file) = file else { return Ok(None) };
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("cannot read the passphrase file {}", file.display()))?;
    Ok(Some(text.trim_end_matches(['\n', '\r']).to_string()))
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
