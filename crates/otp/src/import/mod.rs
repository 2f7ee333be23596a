//! Seeds of existing hardware tokens from the files vendors ship: RFC 6030
//! PSKC key containers ([`pskc`]) and CSV ([`csv`]).
//!
//! A file either fails as a whole ([`ImportError`]: not a key container, a
//! wrong key or password, a MAC that does not match) or yields one
//! [`Entry`] per token, each a [`Seed`] or the reason it was skipped or
//! failed, so one bad line never stops the rest. Pure: the caller reads
//! the file and stores the seeds.

mod crypto;
pub mod csv;
mod error;
pub mod pskc;
mod pskc_keys;
pub mod yubico;

use std::fmt;

pub use error::ImportError;

use crate::algorithm::{Algorithm, Kind};

/// The largest file taken, in bytes: a PSKC file is parsed in memory (about
/// five times its size), and 16 MiB is over 100,000 tokens. Split larger
/// files; reruns are idempotent.
pub const MAX_FILE_BYTES: usize = 16 * 1024 * 1024;

/// The longest serial number kept.
pub const MAX_SERIAL_CHARS: usize = 64;

/// One token's seed and parameters, ready to be sealed and stored.
#[derive(Clone, PartialEq, Eq)]
pub struct Seed {
    /// The serial number printed on the token (PSKC `SerialNo`, else the key's `Id`).
    pub serial: String,
    pub kind: Kind,
    pub secret: Vec<u8>,
    pub algorithm: Algorithm,
    pub digits: u32,
    /// TOTP step in seconds (30 for HOTP, unused).
    pub period: u64,
    /// HOTP: the next counter the token will show (0 for TOTP).
    pub counter: u64,
    pub issuer: Option<String>,
}

impl fmt::Debug for Seed {
    /// Never prints the secret.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Seed")
            .field("serial", &self.serial)
            .field("kind", &self.kind)
            .field("secret", &format_args!("<{} bytes>", self.secret.len()))
            .field("algorithm", &self.algorithm)
            .field("digits", &self.digits)
            .field("period", &self.period)
            .field("counter", &self.counter)
            .field("issuer", &self.issuer)
            .finish()
    }
}

/// What became of one token of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    Seed(Seed),
    /// Not an OTP key (a PIN key of a PSKC file, a comment): nothing to import.
    Skipped(String),
    /// A token that cannot be imported, and why.
    Failed(String),
}

/// One token of a file: where it is (CSV line, or PSKC key package from 1),
/// its serial when known, and what became of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub at: usize,
    pub serial: Option<String>,
    pub parsed: Parsed,
}

impl Entry {
    fn new(at: usize, serial: Option<String>, parsed: Result<Seed, String>) -> Self {
        let parsed = match parsed.and_then(Seed::checked) {
            Ok(seed) => Parsed::Seed(seed),
            Err(reason) => Parsed::Failed(reason),
        };
        Self { at, serial, parsed }
    }
}

impl Seed {
    /// The rules every imported seed meets, whatever the file format.
    fn checked(self) -> Result<Self, String> {
        check_serial(&self.serial)?;
        if self.secret.is_empty() {
            return Err("the secret is empty".into());
        }
        if self.secret.len() > 128 {
            return Err("the secret is longer than 1024 bits".into());
        }
        if self.kind == Kind::Yubico {
            return (self.secret.len() == 22)
                .then_some(self)
                .ok_or_else(|| "a YubiKey needs a 16-byte AES key and a 6-byte private id".into());
        }
        if !(6..=8).contains(&self.digits) {
            return Err(format!("{} digits: tokens show 6, 7 or 8", self.digits));
        }
        if self.kind == Kind::Totp && !(self.period == 30 || self.period == 60) {
            return Err(format!(
                "a time step of {} s: expected 30 or 60",
                self.period
            ));
        }
        if self.counter > i64::MAX as u64 / 2 {
            return Err("the counter is too large".into());
        }
        Ok(self)
    }
}

/// A serial is printable text of at most [`MAX_SERIAL_CHARS`] characters.
pub fn check_serial(serial: &str) -> Result<(), String> {
    if serial.trim().is_empty() {
        return Err("the serial number is empty".into());
    }
    if serial.chars().count() > MAX_SERIAL_CHARS {
        return Err(format!(
            "the serial number is longer than {MAX_SERIAL_CHARS} characters"
        ));
    }
    if serial.chars().any(char::is_control) {
        return Err("the serial number has control characters".into());
    }
    Ok(())
}

/// Refuses files over [`MAX_FILE_BYTES`] before anything is parsed.
pub fn check_size(len: usize) -> Result<(), ImportError> {
    if len > MAX_FILE_BYTES {
        return Err(ImportError::TooLarge {
            size: len,
            limit: MAX_FILE_BYTES,
        });
    }
    Ok(())
}

/// The formats [`parse`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Pskc,
    Csv,
    /// YubiKeys: the personalization tool's log.
    Yubico,
}

impl std::str::FromStr for Format {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "pskc" | "xml" => Ok(Self::Pskc),
            "csv" => Ok(Self::Csv),
            "yubico" => Ok(Self::Yubico),
            other => Err(format!(
                "unknown import format '{other}'; expected pskc, csv or yubico"
            )),
        }
    }
}

/// Parses a file as `format`, or as what its first bytes look like.
pub fn parse(
    data: &[u8],
    format: Option<Format>,
    protection: &pskc::Protection,
) -> Result<Vec<Entry>, ImportError> {
    check_size(data.len())?;
    let format = format.unwrap_or(if looks_like_xml(data) {
        Format::Pskc
    } else {
        Format::Csv
    });
    match format {
        Format::Pskc => pskc::parse(data, protection),
        Format::Csv => csv::parse(data),
        Format::Yubico => yubico::parse(data),
    }
}

/// Guesses the format of a file from its first bytes: `<` is PSKC.
pub fn looks_like_xml(data: &[u8]) -> bool {
    let text = data.strip_prefix(b"\xef\xbb\xbf").unwrap_or(data);
    text.iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| *b == b'<')
}

#[cfg(test)]
mod tests;
