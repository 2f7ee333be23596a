//! The harness of the server's integration tests: a database per test
//! (SQLite in the data directory, or a fresh PostgreSQL database), the real
//! `countersign` binary started as a process on a free port ([`Server`]),
//! its CLI run against the same store, and a small JSON client ([`Api`]).
//!
//! Each test file uses part of it, so unused items are expected.
#![allow(dead_code)]

mod api;
pub mod console;
pub mod passkeys;
mod server;
pub mod sso;

use std::path::PathBuf;
use std::process::Output;
use std::time::{SystemTime, UNIX_EPOCH};

use countersign_otp::Algorithm;
use countersign_testkit::TempPostgres;

pub use api::Api;
#[allow(unused_imports)] // used by some test files only
pub use api::Reply;
pub use server::Server;

/// The binary under test, built by cargo for these tests.
pub const BIN: &str = env!("CARGO_BIN_EXE_countersign");

/// The authenticator binary, built next to the server's (`COUNTERSIGN_BIN`, else [`BIN`]).
pub fn authenticator_bin() -> PathBuf {
    let server =
        PathBuf::from(std::env::var("COUNTERSIGN_BIN").unwrap_or_else(|_| BIN.to_string()));
    let bin = server.with_file_name("countersign-authenticator");
    assert!(
        bin.exists(),
        "{} is missing: build it with `cargo build -p countersign-authenticator` (scripts/test does)",
        bin.display()
    );
    bin
}

/// The secret of RFC 4226 Appendix D, and its base32 text.
pub const RFC_SECRET: &[u8] = b"12345678901234567890";
pub const RFC_SECRET_B32: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

/// Where a test's servers keep their state.
pub struct Db {
    pg: Option<TempPostgres>,
    /// A PostgreSQL database the test runs itself (see [`Db::at`]).
    external: Option<String>,
    /// The encryption key every node on this PostgreSQL database shares.
    key: String,
}

impl Db {
    /// SQLite in each server's data directory (the default set-up).
    pub fn sqlite() -> Db {
        Db {
            pg: None,
            external: None,
            key: String::new(),
        }
    }

    /// The PostgreSQL database at `url`, run by the test itself (a
    /// [`countersign_testkit::PgServer`]); nodes share a fresh key as in [`Db::postgres`].
    pub fn at(url: String) -> Db {
        Db {
            pg: None,
            external: Some(url),
            key: base64(&countersign_otp::generate_secret(32)),
        }
    }

    /// A fresh PostgreSQL database, dropped with this value. Every server
    /// started on it gets the same `COUNTERSIGN_SECURITY_ENCRYPTION_KEY`,
    /// as the nodes of one deployment must.
    pub async fn postgres() -> Db {
        let key = base64(&countersign_otp::generate_secret(32));
        Db {
            pg: Some(TempPostgres::new().await),
            external: None,
            key,
        }
    }

    pub fn is_postgres(&self) -> bool {
        self.url().is_some()
    }

    pub fn url(&self) -> Option<&str> {
        self.pg
            .as_ref()
            .map(TempPostgres::url)
            .or(self.external.as_deref())
    }

    pub(crate) fn env(&self) -> Vec<(String, String)> {
        match self.url() {
            Some(url) => vec![
                ("COUNTERSIGN_DATABASE_URL".into(), url.to_string()),
                (
                    "COUNTERSIGN_SECURITY_ENCRYPTION_KEY".into(),
                    self.key.clone(),
                ),
            ],
            None => Vec::new(),
        }
    }
}

/// A process's standard output, as text.
pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).to_string()
}

/// A process's standard error, as text.
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).to_string()
}

/// Seconds since the Unix epoch.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("the clock is after 1970")
        .as_secs()
}

/// The current 6-digit SHA-1 TOTP code (30 s) of `secret`.
pub fn totp_now(secret: &[u8]) -> String {
    countersign_otp::totp(secret, unix_now(), 30, 6, Algorithm::Sha1)
}

/// The 6-digit SHA-1 HOTP code of `secret` at `counter`.
pub fn hotp(secret: &[u8], counter: u64) -> String {
    countersign_otp::hotp(secret, counter, 6, Algorithm::Sha1)
}

/// A 6-digit code that is not the TOTP code of `secret` anywhere near now,
/// nor its HOTP code for counters up to 1,100: a wrong code for either kind.
pub fn wrong_code(secret: &[u8], seed: u32) -> String {
    let step = unix_now() / 30;
    let near: Vec<String> = (step - 5..=step + 5)
        .chain(0..=1100)
        .map(|c| countersign_otp::hotp(secret, c, 6, Algorithm::Sha1))
        .collect();
    (seed..)
        .map(|n| format!("{:06}", (u64::from(n) * 7_919 + 13) % 1_000_000))
        .find(|code| !near.contains(code))
        .expect("some code is wrong")
}

/// Standard base64 with padding (for the encryption key).
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The first run of exactly `len` digits in `text` (a code inside a message).
pub fn digits_of_len(text: &str, len: usize) -> String {
    text.split(|c: char| !c.is_ascii_digit())
        .find(|w| w.len() == len)
        .unwrap_or_default()
        .to_string()
}
