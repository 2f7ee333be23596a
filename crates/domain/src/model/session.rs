//! Signed-in browser sessions of every kind, as the store keeps them.

use serde::{Deserialize, Serialize};

use crate::model::method::Method;

/// Who is signed in: the kind decides which store the subject is read from,
/// and no session of one kind is ever found as another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    /// An administrator in the console (`/admin`).
    Administrator,
    /// A user in the portal (`/portal`).
    User,
    /// A user signed in at `/sso`: forward auth and the OpenID Provider.
    Sso,
}

impl SessionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionKind::Administrator => "administrator",
            SessionKind::User => "user",
            SessionKind::Sso => "sso",
        }
    }

    pub fn parse(text: &str) -> Option<SessionKind> {
        [
            SessionKind::Administrator,
            SessionKind::User,
            SessionKind::Sso,
        ]
        .into_iter()
        .find(|k| k.as_str() == text)
    }
}

/// How far a session has come.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// The first factor passed; the second factor is next (or under way).
    SecondFactor,
    /// The first factor passed by someone with no second factor yet:
    /// enrolling one is all this session may do.
    Enrol,
    /// Fully signed in.
    SignedIn,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::SecondFactor => "second_factor",
            Level::Enrol => "enrol",
            Level::SignedIn => "signed_in",
        }
    }

    pub fn parse(text: &str) -> Option<Level> {
        [Level::SecondFactor, Level::Enrol, Level::SignedIn]
            .into_iter()
            .find(|l| l.as_str() == text)
    }
}

/// One row of the `sessions` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// Keyed hash of the cookie's token (hex).
    pub id_hash: String,
    pub kind: SessionKind,
    /// The administrator's or the user's id, as `kind` says.
    pub subject_id: String,
    pub level: Level,
    /// The token every form of this session carries in its `csrf` field.
    pub csrf: String,
    /// The sealed working state (base64), if any.
    pub data: Option<String>,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub address: Option<String>,
}

/// A second factor under way (sign-in, or a test of the user's method).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Underway {
    pub method: Method,
    /// The `chl_`/`ptx_` transaction; `None` for an OATH code.
    pub transaction_id: Option<String>,
    pub number: Option<i64>,
    pub prompt: String,
    /// A passkey's challenge: `{"options": PublicKeyCredentialRequestOptionsJSON}`
    /// as text, for the page's script; `None` for every other method.
    #[serde(default)]
    pub options: Option<String>,
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
    /// Opened by a one-time link: the password may be set without the current one.
    pub by_link: bool,
    /// Days the browser may be remembered for, offered once right after a
    /// full sign-in (the matching rule's `remember_device_days`).
    pub remember_offer: Option<u32>,
}

/// An `/sso` session's working state, sealed in the row: the second factor
/// under way and, once signed in, how.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SsoData {
    pub underway: Option<Underway>,
    /// Where to go after signing in (checked when it was asked for).
    pub rd: Option<String>,
    /// When the sign-in was completed (Unix seconds); 0 before.
    pub auth_time: i64,
    /// The second factor(s) that completed it.
    pub methods: Vec<Method>,
    /// Signed in with a passkey as both factors.
    pub passkey: bool,
}
