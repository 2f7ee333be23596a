//! Typed errors. Messages are written for operators: they say what is wrong
//! and what to do about it. No message ever contains a secret.

use thiserror::Error;

/// Errors from parsing OATH names ([`crate::Algorithm`], [`crate::Kind`]).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum OtpError {
    #[error("unknown OTP algorithm '{value}'; expected SHA1, SHA256 or SHA512")]
    UnknownAlgorithm { value: String },
    #[error("unknown OTP type '{value}'; expected totp, hotp or yubico")]
    UnknownKind { value: String },
}

/// Errors from [`crate::base32::decode`]. Positions count characters from 1.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Base32Error {
    #[error("the secret is empty; paste the base32 secret shown by the issuer (letters A-Z and digits 2-7)")]
    Empty,
    #[error(
        "the secret is not valid base32: character {ch:?} at position {position} is not in A-Z2-7; \
         check for typos (0 is O, 1 is I, 8 is B)"
    )]
    InvalidChar { ch: char, position: usize },
    #[error(
        "the secret is not valid base32: '=' padding at position {position} is followed by more data; \
         '=' may only appear at the end"
    )]
    MisplacedPadding { position: usize },
    #[error(
        "the secret is not valid base32: {len} characters cannot encode whole bytes; \
         check that the secret was copied completely"
    )]
    InvalidLength { len: usize },
}

/// Errors from [`crate::uri::KeyUri::parse`].
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum UriError {
    #[error("this is not a URI; expected otpauth://totp/Issuer:account?secret=... (scan or paste the whole link)")]
    NotAUri,
    #[error("this is not an otpauth:// URI (its scheme is '{found}'); expected otpauth://totp/Issuer:account?secret=...")]
    NotOtpauth { found: String },
    #[error("the OTP type '{found}' is not supported; expected otpauth://totp/... or otpauth://hotp/...")]
    UnknownType { found: String },
    #[error("the URI has no account name in its label; expected otpauth://TYPE/Issuer:account?secret=...")]
    MissingAccount,
    #[error("the label (issuer:account) is not valid percent-encoded UTF-8; encode special characters as %XX")]
    BadLabelEncoding,
    #[error("the '{name}' parameter is not valid percent-encoded UTF-8; encode special characters as %XX")]
    BadParameterEncoding { name: &'static str },
    #[error("the URI has no '{name}' parameter; expected {expected}")]
    MissingParameter {
        name: &'static str,
        expected: &'static str,
    },
    #[error("the '{name}' parameter is '{value}'; expected {expected}")]
    InvalidParameter {
        name: &'static str,
        value: String,
        expected: &'static str,
    },
    #[error("the '{name}' parameter appears more than once; give it exactly once")]
    DuplicateParameter { name: &'static str },
    #[error("the 'secret' parameter is invalid: {0}")]
    InvalidSecret(#[source] Base32Error),
    #[error(
        "the issuer in the label ('{label}') and the 'issuer' parameter ('{param}') disagree; \
         they must name the same issuer"
    )]
    IssuerMismatch { label: String, param: String },
}

/// Errors from rendering QR codes in [`crate::qr`].
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum QrError {
    #[error(
        "the data ({len} bytes) is too long for a QR code; shorten the issuer or account name"
    )]
    TooLong { len: usize },
    #[error("the data cannot be encoded as a QR code: {reason}")]
    Encode { reason: String },
    #[error("the module size {module_px} px is out of range; expected 1 to {max}")]
    ModuleSize { module_px: u32, max: u32 },
    #[error("the QR code could not be written as PNG: {reason}")]
    Png { reason: String },
}
