//! The JSON bodies of `/device/v1` (docs/device-api.md). Field names are
//! the wire's and must not change: the reference authenticator, the web
//! app and third-party authenticators rely on them.
//!
//! What a client sends is read strictly by the server (unknown fields are
//! refused); what the server sends is read leniently by clients (defaults
//! for missing fields, unknown ones kept or ignored), so newer servers can
//! add fields.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

/// `POST /device/v1/activate` body (unsigned: the code is the credential).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActivateBody {
    /// The 16 digits (spaces are ignored by the server).
    pub code: String,
    /// base64 of the 65-byte uncompressed P-256 point.
    pub public_key: String,
    pub device_name: String,
    pub platform: String,
    /// base64 of HMAC-SHA256(key = "countersign-pin", msg = PIN), in PIN mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pin_key: Option<String>,
}

/// The TOTP seed the server gives for offline codes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OathSeed {
    /// Base32.
    pub secret: String,
    #[serde(default = "default_algorithm")]
    pub algorithm: String,
    #[serde(default = "default_digits")]
    pub digits: u32,
    #[serde(default = "default_period")]
    pub period: u64,
}

fn default_algorithm() -> String {
    "sha1".into()
}
fn default_digits() -> u32 {
    6
}
fn default_period() -> u64 {
    30
}
fn yes() -> bool {
    true
}

/// `web_push` in the activation answer, when the server has Web Push on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebPushKey {
    /// base64url of the server's 65-byte uncompressed P-256 VAPID key.
    pub vapid_public_key: String,
}

/// `POST /device/v1/activate` answer (201).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Activated {
    pub device_id: String,
    pub account_name: String,
    pub user: String,
    /// Sent as `null` when the user has none.
    #[serde(default)]
    pub display_name: Option<String>,
    /// Absent when the server gives no offline codes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oath: Option<OathSeed>,
    #[serde(default = "yes")]
    pub number_matching: bool,
    #[serde(default)]
    pub pin_required: bool,
    /// Absent when Web Push is off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub web_push: Option<WebPushKey>,
}

/// A sign-in request waiting for the device's answer: an event `request`
/// of `GET /device/v1/events`, or an item of `GET /device/v1/requests`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignInRequest {
    pub id: String,
    #[serde(default)]
    pub user: String,
    /// `null` when the sign-in named none.
    #[serde(default)]
    pub application: Option<String>,
    #[serde(default)]
    pub client_address: Option<String>,
    /// RFC 3339 text from this server; kept as JSON so a client also
    /// takes the Unix seconds of other servers.
    #[serde(default)]
    pub created_at: Option<Value>,
    #[serde(default)]
    pub expires_at: Option<Value>,
    #[serde(default)]
    pub number_matching: bool,
    #[serde(default)]
    pub pin_required: bool,
    /// Fields this version does not know, kept for `--json` output.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `GET /device/v1/requests` answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PendingList {
    pub requests: Vec<SignInRequest>,
}

/// What the device says about a sign-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Answer {
    Approve,
    Deny,
    Fraud,
}

impl Answer {
    pub fn as_str(self) -> &'static str {
        match self {
            Answer::Approve => "approve",
            Answer::Deny => "deny",
            Answer::Fraud => "fraud",
        }
    }
}

impl fmt::Display for Answer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An `answer` that is none of approve, deny or fraud.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownAnswer(pub String);

impl fmt::Display for UnknownAnswer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "answer '{}' is not approve, deny or fraud", self.0)
    }
}

impl std::error::Error for UnknownAnswer {}

impl FromStr for Answer {
    type Err = UnknownAnswer;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "approve" => Ok(Answer::Approve),
            "deny" => Ok(Answer::Deny),
            "fraud" => Ok(Answer::Fraud),
            other => Err(UnknownAnswer(other.to_owned())),
        }
    }
}

// By hand, for the server's own refusal text rather than serde's.
impl<'de> Deserialize<'de> for Answer {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// `POST /device/v1/requests/{id}/answer` body (signed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnswerBody {
    pub answer: Answer,
    /// The number shown on the sign-in screen, with number matching.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<i64>,
    /// base64 of HMAC-SHA256(pin_key, "countersign-pin:" + request id), in PIN mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pin_proof: Option<String>,
}

/// `POST /device/v1/requests/{id}/answer` answer (200).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnswerResult {
    /// `accepted` or `rejected`.
    pub result: String,
    /// The reason code of a rejection (docs/reason-codes.md).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The server's explanation of a rejection, for people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl AnswerResult {
    pub fn accepted() -> Self {
        AnswerResult {
            result: "accepted".into(),
            reason: None,
            message: None,
        }
    }

    pub fn rejected(reason: &str, message: &str) -> Self {
        AnswerResult {
            result: "rejected".into(),
            reason: Some(reason.into()),
            message: Some(message.into()),
        }
    }

    /// Whether the server took the answer as meant: an approval must come
    /// back `accepted`; a deny or fraud report is taken when answered 200
    /// (its result is the sign-in's, `rejected` with `push_denied` or
    /// `fraud_reported`).
    pub fn took(&self, answer: Answer) -> bool {
        match answer {
            Answer::Approve => self.result == "accepted",
            Answer::Deny | Answer::Fraud => true,
        }
    }
}

impl fmt::Display for AnswerResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.result)?;
        if let Some(reason) = &self.reason {
            write!(f, " ({reason})")?;
        }
        if let Some(message) = &self.message {
            write!(f, ": {message}")?;
        }
        Ok(())
    }
}

/// `PUT /device/v1/webpush` body (signed): `PushSubscription.toJSON()`
/// as the browser gives it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebPushSubscription {
    pub endpoint: String,
    pub keys: WebPushKeys,
    /// The browser's, not used.
    #[serde(
        rename = "expirationTime",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub expiration_time: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebPushKeys {
    /// base64url of the browser's 65-byte P-256 point.
    pub p256dh: String,
    /// base64url of 16 bytes.
    pub auth: String,
}

/// The API's one error shape: `{"error":{"code","message"}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    pub code: String,
    #[serde(default)]
    pub message: String,
}

#[cfg(test)]
#[path = "types_tests.rs"]
mod tests;
