//! Countersign's OATH toolkit: HOTP (RFC 4226) and TOTP (RFC 6238) codes,
//! RFC 4648 base32 secrets, otpauth:// Key URIs and their QR codes.
//!
//! Pure: no I/O, no clock, no global state. The caller supplies the time and
//! decides which codes to accept; [`code_matches`] compares in constant time.
//!
//! ```
//! use countersign_otp::{base32, code_matches, totp, Algorithm, KeyUri};
//!
//! let key = KeyUri::parse(
//!     "otpauth://totp/Example:alice@google.com?secret=JBSWY3DPEHPK3PXP&issuer=Example",
//! )?;
//! assert_eq!(key.issuer.as_deref(), Some("Example"));
//! assert_eq!(base32::encode(&key.secret), "JBSWY3DPEHPK3PXP");
//!
//! let expected = totp(&key.secret, 1_700_000_000, key.period, key.digits, key.algorithm);
//! assert!(code_matches(&expected, &expected));
//! assert_eq!(key.algorithm, Algorithm::Sha1);
//! # Ok::<(), countersign_otp::UriError>(())
//! ```

mod algorithm;
pub mod base32;
mod error;
pub mod import;
mod oath;
pub mod qr;
mod qr_mask;
pub mod uri;
pub mod yubico;

pub use algorithm::{Algorithm, Kind};
pub use error::{Base32Error, OtpError, QrError, UriError};
pub use oath::{code_matches, generate_secret, hotp, totp, totp_step, DEFAULT_SECRET_BYTES};
pub use uri::KeyUri;
