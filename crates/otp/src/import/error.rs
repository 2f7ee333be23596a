//! Errors that stop a whole import: nothing of the file is imported.

use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ImportError {
    #[error(
        "the file is {size} bytes, over the limit of {limit} bytes; split it into smaller files \
         (importing again skips the tokens already imported)"
    )]
    TooLarge { size: usize, limit: usize },
    #[error("the file is not UTF-8 text; save it as UTF-8 and import it again")]
    NotUtf8,
    #[error("the file is not well-formed XML ({0}); check that it was copied completely")]
    Xml(String),
    #[error(
        "the file has a DTD (<!DOCTYPE>); PSKC files do not need one and it is refused, \
         so no entity is expanded and no other file is read"
    )]
    Dtd,
    #[error(
        "the file is not a PSKC key container: its root element is <{0}>, expected <KeyContainer>"
    )]
    NotPskc(String),
    #[error("the key container has version {0}; only PSKC 1.0 (RFC 6030) is read")]
    Version(String),
    #[error(
        "the secrets are encrypted with a pre-shared key{name}; give it with --key-file \
         (a file holding the key in hex)"
    )]
    NeedKey { name: String },
    #[error("the secrets are encrypted with a password{name}; give it with --password-file")]
    NeedPassword { name: String },
    #[error("the key container is protected by {0}, which is not supported; ask the vendor for an AES-CBC (pre-shared key or PBKDF2) file")]
    Unsupported(String),
    #[error("the {what} is {found} bytes, but {cipher} needs {expected}; check the key file")]
    KeyLength {
        what: &'static str,
        cipher: &'static str,
        expected: usize,
        found: usize,
    },
    #[error(
        "the MAC key does not decrypt: the {secret} is wrong (or the file was altered); nothing was imported"
    )]
    WrongKey { secret: &'static str },
    #[error(
        "the MAC of key {at} ({serial}) does not match: the {secret} is wrong or the file was altered; \
         nothing was imported"
    )]
    MacMismatch {
        at: usize,
        serial: String,
        secret: &'static str,
    },
    #[error("{0}")]
    Malformed(String),
    #[error("the CSV file has no token lines; expected a header `serial,secret,type,digits,period_or_counter,algorithm` and one line per token")]
    Empty,
    #[error("the CSV header {0}")]
    Header(String),
}
