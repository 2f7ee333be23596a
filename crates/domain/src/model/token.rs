//! OATH tokens (an authenticator app or a hardware token) as stored.

use countersign_otp::{Algorithm, Kind};
use serde::Serialize;

/// A token as the API and CLI show it: never the secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Token {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: Kind,
    pub algorithm: Algorithm,
    pub digits: u32,
    /// TOTP time step in seconds (absent for HOTP).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period: Option<u64>,
    /// HOTP: the next counter expected (absent for TOTP).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub counter: Option<i64>,
    /// TOTP: the clock drift of the device in time steps, learnt from accepted codes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drift: Option<i64>,
    pub created_at: i64,
    /// When a code of this token was last accepted.
    pub last_used_at: Option<i64>,
    /// A hardware token's serial number (imported tokens; absent for apps).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub serial: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
}

/// A token row: the secret sealed with the [`crate::SecretKey`] to `tokens.<id>.secret`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredToken {
    pub id: String,
    pub user_id: String,
    pub kind: Kind,
    pub algorithm: Algorithm,
    pub digits: u32,
    pub period: u64,
    /// TOTP: the last accepted time step; HOTP: the last accepted counter; -1 before the first.
    pub last_used: i64,
    pub drift: i64,
    pub sealed_secret: Vec<u8>,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    /// A hardware token's serial number: unique, how the pool finds it.
    pub serial: Option<String>,
    pub issuer: Option<String>,
}

impl StoredToken {
    pub fn view(&self) -> Token {
        let totp = self.kind == Kind::Totp;
        Token {
            id: self.id.clone(),
            kind: self.kind,
            algorithm: self.algorithm,
            digits: self.digits,
            period: totp.then_some(self.period),
            counter: (!totp).then_some(self.last_used + 1),
            drift: totp.then_some(self.drift),
            created_at: self.created_at,
            last_used_at: self.last_used_at,
            serial: self.serial.clone(),
            issuer: self.issuer.clone(),
        }
    }
}
