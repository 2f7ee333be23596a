//! HOTP (RFC 4226) and TOTP (RFC 6238) code generation, constant-time code
//! comparison and secret generation.

use hmac::{Hmac, Mac};
use rand::rngs::OsRng;
use rand::RngCore;
use sha1::Sha1;
use sha2::{Sha256, Sha512};
use subtle::ConstantTimeEq;

use crate::algorithm::Algorithm;

/// Secret length callers should use unless they have a reason not to:
/// 160 bits, the RFC 4226 recommendation and the size of a SHA-1 block output.
pub const DEFAULT_SECRET_BYTES: usize = 20;

/// The longest code [`hotp`] produces. A truncated HOTP value is below 2^31,
/// so more than 10 digits would only add leading zeros.
const MAX_DIGITS: u32 = 10;

/// Computes the RFC 4226 HOTP code for `counter`, zero-padded to `digits`.
///
/// `digits` is normally 6, 7 or 8; values outside 1..=10 are clamped into
/// that range. Any secret length works, including empty (HMAC pads keys).
pub fn hotp(secret: &[u8], counter: u64, digits: u32, algorithm: Algorithm) -> String {
    let digest = hmac(secret, &counter.to_be_bytes(), algorithm);
    let value = dynamic_truncation(&digest);
    let digits = digits.clamp(1, MAX_DIGITS);
    let code = u64::from(value) % 10u64.pow(digits);
    format!("{code:0width$}", width = digits as usize)
}

/// The TOTP time step of `unix_seconds`: `floor(unix_seconds / period)`,
/// counting from the Unix epoch (T0 = 0). A `period` of 0 is treated as 1 so
/// this never divides by zero; configuration should reject it earlier.
pub fn totp_step(unix_seconds: u64, period: u64) -> u64 {
    unix_seconds / period.max(1)
}

/// Computes the RFC 6238 TOTP code at `unix_seconds`: the HOTP code of the
/// time step (see [`totp_step`] for `period`, [`hotp`] for `digits`).
pub fn totp(
    secret: &[u8],
    unix_seconds: u64,
    period: u64,
    digits: u32,
    algorithm: Algorithm,
) -> String {
    hotp(secret, totp_step(unix_seconds, period), digits, algorithm)
}

/// Compares a submitted code with the expected one in constant time.
/// Codes of different lengths never match (the length is not secret).
pub fn code_matches(expected: &str, submitted: &str) -> bool {
    let (expected, submitted) = (expected.as_bytes(), submitted.as_bytes());
    expected.len() == submitted.len() && bool::from(expected.ct_eq(submitted))
}

/// Generates a random secret of `bytes` bytes from the operating system's
/// RNG. Use [`DEFAULT_SECRET_BYTES`] unless a token needs another size.
///
/// Panics only if the operating system cannot provide randomness, in which
/// case no secret could safely be made.
pub fn generate_secret(bytes: usize) -> Vec<u8> {
    let mut secret = vec![0u8; bytes];
    OsRng.fill_bytes(&mut secret);
    secret
}

fn hmac(key: &[u8], message: &[u8], algorithm: Algorithm) -> Vec<u8> {
    match algorithm {
        Algorithm::Sha1 => mac::<Hmac<Sha1>>(key, message),
        Algorithm::Sha256 => mac::<Hmac<Sha256>>(key, message),
        Algorithm::Sha512 => mac::<Hmac<Sha512>>(key, message),
    }
}

fn mac<M: Mac + hmac::digest::KeyInit>(key: &[u8], message: &[u8]) -> Vec<u8> {
    // HMAC accepts keys of any length (RFC 2104), so this cannot fail.
    let mut mac = <M as hmac::digest::KeyInit>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

/// RFC 4226 section 5.3: take 4 bytes at the offset named by the low nibble
/// of the last byte, and drop the top bit.
fn dynamic_truncation(digest: &[u8]) -> u32 {
    let offset = usize::from(digest.last().copied().unwrap_or(0) & 0x0f);
    let mut word = [0u8; 4];
    for (i, byte) in word.iter_mut().enumerate() {
        *byte = digest.get(offset + i).copied().unwrap_or(0);
    }
    u32::from_be_bytes(word) & 0x7fff_ffff
}

#[cfg(test)]
#[path = "oath_tests.rs"]
mod tests;
