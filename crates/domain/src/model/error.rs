//! Errors of the domain. Each message says what went wrong and what to do.

use thiserror::Error;

/// What a store adapter can fail with.
#[derive(Debug, Error)]
pub enum StoreError {
    #[error("{0} already exists")]
    Conflict(String),
    #[error("the database failed: {0}")]
    Backend(String),
}

/// What the domain's operations can fail with.
#[derive(Debug, Error)]
pub enum DomainError {
    #[error("{what} '{name}' was not found")]
    NotFound { what: &'static str, name: String },
    #[error("{0}")]
    Conflict(String),
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    #[error(
        "a stored secret could not be decrypted: the encryption key does not match the one \
         the data was written with (restore the original key file or COUNTERSIGN_SECURITY_ENCRYPTION_KEY)"
    )]
    Decrypt,
    #[error(transparent)]
    Store(StoreError),
    /// The work pool's lane (`hash`, `directory`) is full: answer "busy"
    /// at once (HTTP 429, LDAP busy, RADIUS no answer); the client retries.
    #[error("the server is busy checking other passwords ({what}); try again in {retry_after_seconds} second(s)")]
    Busy {
        what: &'static str,
        retry_after_seconds: u64,
    },
}

impl DomainError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        DomainError::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn not_found(what: &'static str, name: impl Into<String>) -> Self {
        DomainError::NotFound {
            what,
            name: name.into(),
        }
    }
}

impl From<StoreError> for DomainError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Conflict(what) => DomainError::Conflict(format!("{what} already exists")),
            other => DomainError::Store(other),
        }
    }
}
