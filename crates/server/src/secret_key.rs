//! Finding the encryption key: from config, from a key file, or generated
//! on first start into the data directory (mode 0600). A check value in
//! the database catches a key that does not belong to it before any seed
//! is touched.

use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use countersign_domain::{MetaStore, SecretKey};

use crate::config::Config;

const CHECK_PLAIN: &[u8] = b"countersign encryption key check";

pub fn key_path(config: &Config) -> PathBuf {
    config.data_dir.join("encryption.key")
}

pub fn load_or_create(config: &Config) -> Result<SecretKey> {
    match read_existing(config)? {
        Some(key) => Ok(key),
        None => create_key_file(&key_path(config)),
    }
}

/// The configured key, or the one in the data directory; `None` when there is none yet.
pub fn read_existing(config: &Config) -> Result<Option<SecretKey>> {
    let Some((text, origin)) = key_text(config)? else {
        return Ok(None);
    };
    decode(&text).with_context(|| origin).map(Some)
}

/// The key's base64 text and where it came from, as configured or in the
/// data directory; `None` when there is none yet.
pub fn key_text(config: &Config) -> Result<Option<(String, String)>> {
    if let Some(text) = &config.encryption_key {
        let origin = "security.encryption_key (or COUNTERSIGN_SECURITY_ENCRYPTION_KEY)";
        return Ok(Some((text.trim().to_string(), origin.to_string())));
    }
    if let Some(path) = &config.encryption_key_file {
        return read_key_file(path).map(Some);
    }
    let path = key_path(config);
    if path.exists() {
        return read_key_file(&path).map(Some);
    }
    Ok(None)
}

fn read_key_file(path: &Path) -> Result<(String, String)> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the encryption key file {}", path.display()))?;
    if let Ok(meta) = std::fs::metadata(path) {
        if meta.permissions().mode() & 0o077 != 0 {
            tracing::warn!(file = %path.display(), "the encryption key file is readable by other users: chmod 600 it");
        }
    }
    let origin = format!("the encryption key file {}", path.display());
    Ok((text.trim().to_string(), origin))
}

fn create_key_file(path: &Path) -> Result<SecretKey> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the data directory {}", dir.display()))?;
    }
    let (key, bytes) = SecretKey::generate();
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot create the encryption key file {}", path.display()))?;
    writeln!(file, "{}", STANDARD.encode(bytes))?;
    tracing::warn!(file = %path.display(),
        "generated a new encryption key: back it up with the database; without it the stored OATH seeds are lost");
    Ok(key)
}

pub fn decode(text: &str) -> Result<SecretKey> {
    let bytes = STANDARD.decode(text.trim()).context(
        "the encryption key is not base64: make one with `head -c 32 /dev/urandom | base64`",
    )?;
    match SecretKey::from_bytes(&bytes) {
        Some(key) => Ok(key),
        None => bail!("the encryption key must be 32 bytes, found {}: make one with `head -c 32 /dev/urandom | base64`", bytes.len()),
    }
}

/// Stores a check value on first use; later, refuses a key that cannot open it.
pub async fn check_against_store(key: &SecretKey, store: &dyn MetaStore) -> Result<()> {
    let sealed = key.seal("meta", "key_check", "value", CHECK_PLAIN);
    let stored = store.put_meta_once("key_check", &sealed).await?;
    if opens(key, &stored) {
        return Ok(());
    }
    bail!(
        "the encryption key does not match this database: it was written with another key. \
             Use the key of the first node (its data directory's encryption.key, or the same \
             COUNTERSIGN_SECURITY_ENCRYPTION_KEY) on every node"
    )
}

/// Whether the key opens the database's check value (true when there is none yet).
pub async fn matches_store(key: &SecretKey, store: &dyn MetaStore) -> Result<bool> {
    Ok(match store.get_meta("key_check").await? {
        Some(stored) => opens(key, &stored),
        None => true,
    })
}

/// Whether `key` opens the check value `stored` (meta `key_check`).
pub fn opens(key: &SecretKey, stored: &[u8]) -> bool {
    matches!(key.open("meta", "key_check", "value", stored), Ok(plain) if plain == CHECK_PLAIN)
}
