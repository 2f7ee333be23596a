//! The JSON bodies of `/device/v1`, as docs/device-api.md defines them.
//! Unknown fields are kept (`extra`) so newer servers' additions survive
//! `--json` output.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::store::OathSeed;

/// `POST /device/v1/activate` body.
#[derive(Debug, Clone, Serialize)]
pub struct ActivateBody {
    pub code: String,
    /// base64 of the 65-byte uncompressed P-256 point.
    pub public_key: String,
    pub device_name: String,
    pub platform: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pin_key: Option<String>,
}

/// `POST /device/v1/activate` answer.
#[derive(Debug, Clone, Deserialize)]
pub struct Activated {
    pub device_id: String,
    pub account_name: String,
    pub user: String,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub oath: Option<OathSeed>,
    #[serde(default = "yes")]
    pub number_matching: bool,
    #[serde(default)]
    pub pin_required: bool,
}

fn yes() -> bool {
    true
}

/// A sign-in request waiting for this device's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignInRequest {
    pub id: String,
    #[serde(default)]
    pub user: String,
    #[serde(default)]
    pub application: Option<String>,
    #[serde(default)]
    pub client_address: Option<String>,
    #[serde(default)]
    pub created_at: Option<Value>,
    #[serde(default)]
    pub expires_at: Option<Value>,
    #[serde(default)]
    pub number_matching: bool,
    #[serde(default)]
    pub pin_required: bool,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `GET /device/v1/requests` answer.
#[derive(Debug, Clone, Deserialize)]
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

impl fmt::Display for Answer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Answer::Approve => "approve",
            Answer::Deny => "deny",
            Answer::Fraud => "fraud",
        })
    }
}

/// `POST /device/v1/requests/{id}/answer` body.
#[derive(Debug, Clone, Serialize)]
pub struct AnswerBody {
    pub answer: Answer,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pin_proof: Option<String>,
}

/// `POST /device/v1/requests/{id}/answer` answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnswerResult {
    pub result: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The server's explanation of a rejection, for people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl AnswerResult {
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

/// The API's one error shape.
#[derive(Debug, Clone, Deserialize)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ErrorDetail {
    pub code: String,
    #[serde(default)]
    pub message: String,
}
