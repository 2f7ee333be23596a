//! A portal session's working state: what the sign-in and the signed-in
//! pages keep between requests, sealed in the session's row (the sessions
//! themselves are [`crate::sessions`]' users' sessions).

use serde::{Deserialize, Serialize};

use crate::model::user::User;
use crate::sessions::Live;
use crate::signin::Method;

/// A second factor under way (sign-in, or a test of the user's method).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Underway {
    pub method: Method,
    /// The `chl_`/`ptx_` transaction; `None` for an OATH code.
    pub transaction_id: Option<String>,
    pub number: Option<i64>,
    pub prompt: String,
}

/// A phone number or email address waiting for the code sent to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingContact {
    /// `sms` or `email`.
    pub channel: String,
    pub address: String,
    /// Keyed hash of the code (hex).
    pub code_mac: String,
    pub expires_at: i64,
    pub attempts: u32,
}

/// The session's working state, sealed in the row.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SessionData {
    pub underway: Option<Underway>,
    /// A test of the user's method from the signed-in pages.
    pub test: Option<Underway>,
    /// Base32 seed of a TOTP token shown but not yet confirmed by a code.
    pub totp_secret: Option<String>,
    pub contact: Option<PendingContact>,
    /// Devices the user had when an activation code was made (to see the new one).
    pub devices_before: Option<usize>,
    /// The activation code shown for the authenticator (until it activates).
    pub activation_code: Option<String>,
    pub activation_expires_at: Option<i64>,
    /// Codes sent for contact changes in this session (a per-session limit).
    pub contact_codes_sent: u32,
}

/// A live portal session: a user's, with its working state.
pub type PortalLive = Live<User>;

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
