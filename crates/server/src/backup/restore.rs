//! `countersign restore FILE`: the backup's database and key into the data
//! directory. It refuses a data directory that already holds a database
//! (unless `--force`), and checks that the key opens the database's sealed
//! rows (the key check value and every token seed) before anything is
//! replaced.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use countersign_domain::crypto::backup;
use countersign_domain::SecretKey;
use serde_json::json;

use super::{read_passphrase, sibling, write_private};
use crate::cli::Output;
use crate::config::Config;
use crate::secret_key;

/// Every token seed is tried; a database with more is checked on its first ones.
const TOKENS_CHECKED: i64 = 100_000;

pub struct RestoreArgs {
    pub file: PathBuf,
    pub passphrase_file: Option<PathBuf>,
    pub force: bool,
}

pub async fn restore(config: &Config, args: RestoreArgs, out: &Output) -> Result<ExitCode> {
    if !config.database_url.starts_with("sqlite:") {
        bail!("the database is PostgreSQL: restore it with pg_restore (or psql) and put the backup's key in place (see docs/operations.md, Backup and restore)");
    }
    let bytes = std::fs::read(&args.file)
        .with_context(|| format!("cannot read the backup {}", args.file.display()))?;
    let (header, database) = backup::decode(&bytes)?;
    if header.database != "sqlite" {
        bail!("this backup holds only the encryption key (made with --key-only for PostgreSQL): restore the data with pg_restore");
    }
    let passphrase = read_passphrase(args.passphrase_file.as_deref())?;
    let key_text = backup::key_text(&header.key, passphrase.as_deref())?;
    let key = secret_key::decode(&key_text).context("the key in the backup")?;
    let target = countersign_store::sqlite::path_of_url(&config.database_url)?;
    refuse_live(&target, args.force)?;
    let key_file = key_destination(config, &key_text, args.force)?;
    let dir = target.parent().unwrap_or(Path::new("."));
    create_private_dir(dir)?;
    let partial = sibling(&target, ".restoring");
    remove_database(&partial);
    write_private(&partial, database)?;
    let checked = match check_key(&partial, &key).await {
        Ok(checked) => checked,
        Err(e) => {
            remove_database(&partial);
            return Err(e);
        }
    };
    remove_database(&target);
    std::fs::rename(&partial, &target)
        .with_context(|| format!("cannot move the restored database to {}", target.display()))?;
    if let Some(path) = &key_file {
        write_private(path, format!("{key_text}\n").as_bytes())?;
    }
    let value = json!({"database": target, "key_file": key_file, "created_at": header.created_at, "tokens_checked": checked, "schema": header.schema});
    out.show(&value, || {
        format!(
            "restored {} (backup of {}, schema {}); the key opens its {checked} token seed(s); start the server: it applies any newer migrations",
            target.display(),
            time::OffsetDateTime::from_unix_timestamp(header.created_at)
                .ok()
                .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
                .unwrap_or_default(),
            header.schema.last().copied().unwrap_or(0)
        )
    });
    Ok(ExitCode::SUCCESS)
}

/// A database already in place is someone's live data: only `--force` replaces it.
fn refuse_live(target: &Path, force: bool) -> Result<()> {
    if target.exists() && !force {
        bail!(
            "{} already holds a database: restore refuses to overwrite live data. \
             Restore into a new data directory (--data-dir), or stop the server and pass --force to replace it",
            target.display()
        );
    }
    Ok(())
}

/// Where the key goes: nowhere when it is configured (then it must be the
/// backup's), else the data directory's key file.
fn key_destination(config: &Config, key_text: &str, force: bool) -> Result<Option<PathBuf>> {
    let configured = config.encryption_key.is_some() || config.encryption_key_file.is_some();
    let existing = secret_key::key_text(config)?;
    match existing {
        Some((text, _)) if same_key(&text, key_text) => {
            Ok((!configured).then(|| secret_key::key_path(config)))
        }
        Some((_, origin)) if configured => bail!(
            "{origin} is not the key of this backup: remove it from the configuration \
             (restore then writes the backup's key to the data directory) or configure the backup's key"
        ),
        Some((_, origin)) if !force => bail!(
            "{origin} is another key than the backup's: restore into a new data directory, or pass --force to replace it"
        ),
        _ => Ok(Some(secret_key::key_path(config))),
    }
}

fn same_key(a: &str, b: &str) -> bool {
    use base64::Engine;
    let decode = |t: &str| {
        base64::engine::general_purpose::STANDARD
            .decode(t.trim())
            .ok()
    };
    matches!((decode(a), decode(b)), (Some(x), Some(y)) if x == y)
}

/// The key must open the check value and every token seed of the file.
async fn check_key(path: &Path, key: &SecretKey) -> Result<usize> {
    let rows = countersign_store::backup::read_sealed_rows(path, TOKENS_CHECKED)
        .await
        .context("the backup's database cannot be read")?;
    let unknown: Vec<i64> = rows
        .schema
        .iter()
        .copied()
        .filter(|v| {
            !countersign_store::migrate::MIGRATIONS
                .iter()
                .any(|m| m.version == *v)
        })
        .collect();
    if !unknown.is_empty() {
        bail!(
            "{}",
            countersign_store::migrate::newer_schema_message(&unknown)
        );
    }
    match &rows.key_check {
        Some(stored) if secret_key::opens(key, stored) => {}
        Some(_) => bail!("the key in the backup does not open its database's check value: the backup is inconsistent; use another backup"),
        None => bail!("the backup's database has no key check value: it was never opened by a server"),
    }
    let bad: Vec<&str> = rows
        .tokens
        .iter()
        .filter(|(id, sealed)| key.open("tokens", id, "secret", sealed).is_err())
        .map(|(id, _)| id.as_str())
        .collect();
    if !bad.is_empty() {
        bail!(
            "the key in the backup does not open {} token seed(s) (first: {}): use another backup",
            bad.len(),
            bad[0]
        );
    }
    Ok(rows.tokens.len())
}

fn create_private_dir(dir: &Path) -> Result<()> {
    if !dir.exists() {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the data directory {}", dir.display()))?;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .with_context(|| format!("cannot make {} private", dir.display()))?;
    }
    Ok(())
}

/// A SQLite database with its WAL and shared-memory files.
fn remove_database(path: &Path) {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let _ = std::fs::remove_file(sibling(path, suffix));
    }
}
