//! What a signed `/device/v1` request carries and the text its signature
//! covers (docs/device-api.md, "Signed requests"):
//!
//! ```text
//! METHOD\nPATH_AND_QUERY\nTIMESTAMP\nNONCE\nHEX(SHA-256(BODY))
//! ```
//!
//! Every part is taken as it travels, never normalised: the method as on
//! the request line, the path and query as on the request line (still
//! percent-encoded), the timestamp and nonce as their header values. The
//! signer puts into the headers the very strings it signed, and the server
//! checks the strings it received.

use sha2::{Digest, Sha256};

/// The device id.
pub const HEADER_DEVICE: &str = "x-countersign-device";
/// Unix seconds, decimal.
pub const HEADER_TIMESTAMP: &str = "x-countersign-timestamp";
/// 16 to 64 characters of `[A-Za-z0-9_-]`, used once.
pub const HEADER_NONCE: &str = "x-countersign-nonce";
/// base64 (standard, padded) of the 64-byte r‖s ECDSA P-256 SHA-256 signature.
pub const HEADER_SIGNATURE: &str = "x-countersign-signature";
/// The four headers of a signed request, as sent (lower case, as HTTP/2 and the web app write them).
pub const SIGNED_HEADERS: [&str; 4] = [
    HEADER_DEVICE,
    HEADER_TIMESTAMP,
    HEADER_NONCE,
    HEADER_SIGNATURE,
];

/// Seconds a request's timestamp may differ from the server's clock, either way.
pub const CLOCK_WINDOW_SECS: i64 = 300;

/// The shortest and longest nonce accepted.
pub const NONCE_LEN: std::ops::RangeInclusive<usize> = 16..=64;

/// The UTF-8 text a device signs and the server verifies.
///
/// `method` is used as given (every `/device/v1` method is upper case on
/// the wire); `timestamp` is the header's text, not a number re-formatted,
/// so both ends sign and check the same bytes.
pub fn canonical_string(
    method: &str,
    path_and_query: &str,
    timestamp: &str,
    nonce: &str,
    body: &[u8],
) -> String {
    format!(
        "{method}\n{path_and_query}\n{timestamp}\n{nonce}\n{}",
        body_hash_hex(body)
    )
}

/// Lower-case hex of SHA-256(body); an empty body hashes the empty string.
pub fn body_hash_hex(body: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digest = Sha256::digest(body);
    let mut text = String::with_capacity(64);
    for byte in digest {
        text.push(char::from(HEX[usize::from(byte >> 4)]));
        text.push(char::from(HEX[usize::from(byte & 0x0f)]));
    }
    text
}

/// Whether a nonce has the allowed length and alphabet (base64url's, no padding).
pub fn nonce_well_formed(nonce: &str) -> bool {
    NONCE_LEN.contains(&nonce.len())
        && nonce
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Whether a timestamp header (Unix seconds) is within
/// [`CLOCK_WINDOW_SECS`] of `now`. The header is unverified input: any
/// `i64` parses, so the distance is computed with checked arithmetic and
/// an overflow counts as too far.
pub fn timestamp_fresh(header: &str, now: i64) -> bool {
    let Ok(timestamp) = header.trim().parse::<i64>() else {
        return false;
    };
    now.checked_sub(timestamp)
        .and_then(i64::checked_abs)
        .is_some_and(|distance| distance <= CLOCK_WINDOW_SECS)
}

#[cfg(test)]
#[path = "signing_tests.rs"]
mod tests;
