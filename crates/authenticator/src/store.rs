//! The store file: the device key (PKCS#8), device id, server URL, key pin,
//! account and offline OATH seed. JSON, mode 0600, replaced atomically.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The store's format version.
pub const STORE_VERSION: u32 = 1;

/// Everything the authenticator keeps about its activation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Store {
    pub version: u32,
    /// The server's base URL, ending in `/`.
    pub server_url: String,
    /// `sha256/...` of the server's key, when activated through a pinned link.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_pin: Option<String>,
    pub device_id: String,
    pub device_name: String,
    /// The device's private key, PKCS#8 DER in base64.
    pub private_key_pkcs8: String,
    pub account_name: String,
    pub user: String,
    #[serde(default)]
    pub display_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oath: Option<OathSeed>,
    #[serde(default)]
    pub number_matching: bool,
    #[serde(default)]
    pub pin_required: bool,
}

/// The TOTP seed the server gave for offline codes, kept as the
/// activation answer has it (the store file's `oath` is that JSON).
pub use countersign_device_proto::OathSeed;

/// Why the store cannot be read or written.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("no store at {0}: activate this authenticator first (countersign-authenticator activate URI), or give --store FILE")]
    NotFound(PathBuf),
    #[error("cannot read the store {path}: {reason}")]
    Read { path: PathBuf, reason: String },
    #[error("the store {path} is readable by others (mode {mode:o}) and holds the device's private key: run chmod 600 {path}")]
    TooOpen { path: PathBuf, mode: u32 },
    #[error("the store {path} is damaged ({reason}): restore it from a backup or activate again")]
    Damaged { path: PathBuf, reason: String },
    #[error("the store {path} has format version {found}; this authenticator knows version {STORE_VERSION}: update countersign-authenticator")]
    Version { path: PathBuf, found: u32 },
    #[error("cannot write the store {path}: {reason}")]
    Write { path: PathBuf, reason: String },
}

impl Store {
    /// Reads the store, refusing one that others can read.
    pub fn load(path: &Path) -> Result<Store, StoreError> {
        let meta = fs::metadata(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => StoreError::NotFound(path.to_owned()),
            _ => read_error(path, &e),
        })?;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(StoreError::TooOpen {
                path: path.to_owned(),
                mode,
            });
        }
        let text = fs::read_to_string(path).map_err(|e| read_error(path, &e))?;
        let store: Store = serde_json::from_str(&text).map_err(|e| StoreError::Damaged {
            path: path.to_owned(),
            reason: e.to_string(),
        })?;
        if store.version != STORE_VERSION {
            return Err(StoreError::Version {
                path: path.to_owned(),
                found: store.version,
            });
        }
        Ok(store)
    }

    /// Writes the store with mode 0600 (its directory 0700 when created),
    /// through a temporary file renamed over the old one.
    pub fn save(&self, path: &Path) -> Result<(), StoreError> {
        let write_err = |e: std::io::Error| StoreError::Write {
            path: path.to_owned(),
            reason: e.to_string(),
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            if !dir.exists() {
                fs::create_dir_all(dir).map_err(write_err)?;
                fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).map_err(write_err)?;
            }
        }
        let json = serde_json::to_string_pretty(self).map_err(|e| StoreError::Write {
            path: path.to_owned(),
            reason: e.to_string(),
        })?;
        let tmp = temporary_path(path);
        let _ = fs::remove_file(&tmp);
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)
            .map_err(write_err)?;
        file.write_all(json.as_bytes()).map_err(write_err)?;
        file.write_all(b"\n").map_err(write_err)?;
        file.sync_all().map_err(write_err)?;
        fs::rename(&tmp, path).map_err(write_err)
    }
}

fn read_error(path: &Path, e: &std::io::Error) -> StoreError {
    StoreError::Read {
        path: path.to_owned(),
        reason: e.to_string(),
    }
}

fn temporary_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".tmp");
    path.with_file_name(name)
}

/// `$HOME/.config/countersign-authenticator/store.json`.
pub fn default_path() -> Option<PathBuf> {
    let home = std::env::var_os("HOME").filter(|h| !h.is_empty())?;
    Some(PathBuf::from(home).join(".config/countersign-authenticator/store.json"))
}
