//! The backup file of `countersign backup`: one file holding a copy of the
//! SQLite database and the encryption key, the key optionally sealed with a
//! passphrase (argon2id, then ChaCha20-Poly1305 bound to this file's salt).
//!
//! Layout: the line `COUNTERSIGN BACKUP 1`, one line of JSON (the header),
//! then the database's bytes, whose length and SHA-256 the header names.
//! Pure: the server reads and writes the file.

use argon2::Argon2;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::crypto::SecretKey;

const MAGIC: &[u8] = b"COUNTERSIGN BACKUP 1\n";
/// A header is small; anything longer is not a backup.
const MAX_HEADER: usize = 64 * 1024;
const SALT_LEN: usize = 16;
pub const MIN_PASSPHRASE: usize = 12;

/// What a backup file says about itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    /// Unix seconds when the snapshot was taken.
    pub created_at: i64,
    /// The countersign version that wrote it.
    pub countersign: String,
    /// Migration versions applied to the copied database.
    pub schema: Vec<i64>,
    /// `sqlite` (database included) or `postgres` (key only: pg_dump holds the data).
    pub database: String,
    pub database_bytes: u64,
    /// Hex SHA-256 of the database bytes.
    pub database_sha256: String,
    pub key: KeyEntry,
}

/// The encryption key's base64 text, in clear or sealed with a passphrase.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyEntry {
    Plain { text: String },
    Sealed { salt: String, sealed: String },
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BackupError {
    #[error(
        "this is not a countersign backup file (it does not start with `COUNTERSIGN BACKUP 1`)"
    )]
    NotABackup,
    #[error("the backup's header is damaged: {0}")]
    BadHeader(String),
    #[error("the backup is damaged: the database is {found} bytes, the header says {expected}")]
    Truncated { expected: u64, found: u64 },
    #[error("the backup is damaged: the database's checksum does not match the header")]
    Checksum,
    #[error(
        "the key in this backup is sealed with a passphrase: give it with --passphrase-file FILE"
    )]
    NeedsPassphrase,
    #[error(
        "the passphrase does not open this backup's key (a wrong passphrase, or a damaged file)"
    )]
    WrongPassphrase,
    #[error("a passphrase must be at least {MIN_PASSPHRASE} characters")]
    ShortPassphrase,
}

/// Builds the file: header line, then the database's bytes.
pub fn encode(mut header: Header, database: &[u8]) -> Vec<u8> {
    header.database_bytes = database.len() as u64;
    header.database_sha256 = sha256_hex(database);
    let json = serde_json::to_string(&header).unwrap_or_default();
    let mut out = Vec::with_capacity(MAGIC.len() + json.len() + 1 + database.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(json.as_bytes());
    out.push(b'\n');
    out.extend_from_slice(database);
    out
}

/// Reads a file made by [`encode`]: its header and the database's bytes,
/// checked against the header's length and checksum.
pub fn decode(file: &[u8]) -> Result<(Header, &[u8]), BackupError> {
    let rest = file.strip_prefix(MAGIC).ok_or(BackupError::NotABackup)?;
    let end = rest
        .iter()
        .take(MAX_HEADER)
        .position(|b| *b == b'\n')
        .ok_or_else(|| BackupError::BadHeader("no end of header line".into()))?;
    let header: Header =
        serde_json::from_slice(&rest[..end]).map_err(|e| BackupError::BadHeader(e.to_string()))?;
    let database = &rest[end + 1..];
    if database.len() as u64 != header.database_bytes {
        return Err(BackupError::Truncated {
            expected: header.database_bytes,
            found: database.len() as u64,
        });
    }
    if sha256_hex(database) != header.database_sha256 {
        return Err(BackupError::Checksum);
    }
    Ok((header, database))
}

/// The key entry for `key_text`: sealed when a passphrase is given.
pub fn key_entry(key_text: &str, passphrase: Option<&str>) -> Result<KeyEntry, BackupError> {
    let Some(passphrase) = passphrase else {
        return Ok(KeyEntry::Plain {
            text: key_text.to_string(),
        });
    };
    if passphrase.chars().count() < MIN_PASSPHRASE {
        return Err(BackupError::ShortPassphrase);
    }
    let mut salt = [0u8; SALT_LEN];
    rand::rngs::OsRng.fill_bytes(&mut salt);
    let sealing = derive(passphrase, &salt)?;
    let sealed = sealing.seal("backup", "key", "text", key_text.as_bytes());
    Ok(KeyEntry::Sealed {
        salt: STANDARD.encode(salt),
        sealed: STANDARD.encode(sealed),
    })
}

/// The key's base64 text from an entry (the passphrase opens a sealed one).
pub fn key_text(entry: &KeyEntry, passphrase: Option<&str>) -> Result<String, BackupError> {
    match entry {
        KeyEntry::Plain { text } => Ok(text.clone()),
        KeyEntry::Sealed { salt, sealed } => {
            let passphrase = passphrase.ok_or(BackupError::NeedsPassphrase)?;
            let bad = |_| BackupError::BadHeader("the sealed key is not base64".into());
            let salt = STANDARD.decode(salt).map_err(bad)?;
            let sealed = STANDARD.decode(sealed).map_err(bad)?;
            let plain = derive(passphrase, &salt)?
                .open("backup", "key", "text", &sealed)
                .map_err(|_| BackupError::WrongPassphrase)?;
            String::from_utf8(plain).map_err(|_| BackupError::WrongPassphrase)
        }
    }
}

/// argon2id with its default cost (19 MiB, 2 passes) over the passphrase.
fn derive(passphrase: &str, salt: &[u8]) -> Result<SecretKey, BackupError> {
    let mut bytes = [0u8; SecretKey::LEN];
    Argon2::default()
        .hash_password_into(passphrase.as_bytes(), salt, &mut bytes)
        .map_err(|e| BackupError::BadHeader(format!("the key's salt: {e}")))?;
    SecretKey::from_bytes(&bytes).ok_or(BackupError::WrongPassphrase)
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(key: KeyEntry) -> Header {
        Header {
            created_at: 1_700_000_000,
            countersign: "0.1.0".into(),
            schema: vec![1, 2, 3],
            database: "sqlite".into(),
            database_bytes: 0,
            database_sha256: String::new(),
            key,
        }
    }

    #[test]
    fn a_file_reads_back_and_damage_is_caught() {
        let key = key_entry("a2V5", None).expect("plain");
        let file = encode(header(key.clone()), b"SQLite format 3\0rest");
        let (read, db) = decode(&file).expect("decodes");
        assert_eq!(db, b"SQLite format 3\0rest");
        assert_eq!(read.key, key);
        assert_eq!(
            decode(&file[..file.len() - 1]).unwrap_err(),
            BackupError::Truncated {
                expected: 20,
                found: 19
            }
        );
        let mut flipped = file.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 1;
        assert_eq!(decode(&flipped).unwrap_err(), BackupError::Checksum);
        assert_eq!(decode(b"PK\x03\x04").unwrap_err(), BackupError::NotABackup);
        assert!(matches!(
            decode(b"COUNTERSIGN BACKUP 1\n{nope\n"),
            Err(BackupError::BadHeader(_))
        ));
        assert!(matches!(
            decode(b"COUNTERSIGN BACKUP 1\n{}"),
            Err(BackupError::BadHeader(_))
        ));
    }

    #[test]
    fn a_sealed_key_needs_the_right_passphrase() {
        let entry = key_entry("c2VjcmV0IGtleQ==", Some("correct horse battery")).expect("sealed");
        let KeyEntry::Sealed { sealed, .. } = &entry else {
            panic!("sealed")
        };
        assert!(!sealed.contains("c2VjcmV0"), "the key is not in clear");
        assert_eq!(
            key_text(&entry, Some("correct horse battery")).as_deref(),
            Ok("c2VjcmV0IGtleQ==")
        );
        assert_eq!(
            key_text(&entry, Some("wrong horse battery")),
            Err(BackupError::WrongPassphrase)
        );
        assert_eq!(key_text(&entry, None), Err(BackupError::NeedsPassphrase));
        assert_eq!(
            key_entry("k", Some("short")),
            Err(BackupError::ShortPassphrase)
        );
        let plain = key_entry("k", None).expect("plain");
        assert_eq!(
            key_text(&plain, Some("ignored passphrase")).as_deref(),
            Ok("k")
        );
    }
}
