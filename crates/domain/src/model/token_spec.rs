//! What a caller asks for when adding a token (API body, CLI flags).

use countersign_otp::{Algorithm, Kind};
use serde::Deserialize;

use crate::model::error::DomainError;

/// What a caller asks for when adding a token; unset fields take defaults.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenSpec {
    #[serde(rename = "type")]
    pub kind: Option<Kind>,
    /// Base32 seed of an existing token (hardware token, migrated app);
    /// when absent the server generates one.
    pub secret: Option<String>,
    pub algorithm: Option<Algorithm>,
    pub digits: Option<u32>,
    pub period: Option<u64>,
    /// HOTP: the token's next counter (default 0).
    pub counter: Option<u64>,
    /// Assign the pool token with this serial instead ([`crate::admin::pool::TokenPool::assign`]).
    pub serial: Option<String>,
    /// With `serial`: a current code of the token, proving the person holds it.
    pub code: Option<String>,
}

impl TokenSpec {
    /// A pool assignment names a serial (and maybe a code) and nothing else.
    pub fn assignment(&self) -> Result<Option<(&str, Option<&str>)>, DomainError> {
        let Some(serial) = self.serial.as_deref() else {
            if self.code.is_some() && self.kind != Some(Kind::Yubico) {
                return Err(DomainError::invalid(
                    "code",
                    "is only used with serial (to prove a pool token)",
                ));
            }
            return Ok(None);
        };
        let other = self.kind.is_some()
            || self.secret.is_some()
            || self.algorithm.is_some()
            || self.digits.is_some()
            || self.period.is_some()
            || self.counter.is_some();
        if other {
            return Err(DomainError::invalid(
                "serial",
                "assigns an imported token as it is: give only serial (and code)",
            ));
        }
        Ok(Some((serial, self.code.as_deref())))
    }
}
