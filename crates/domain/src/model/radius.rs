//! RADIUS clients (VPN concentrators, gateways, access points) and the
//! challenges a second round answers. The protocol itself lives in
//! `countersign-radius`; the listener in the server.

use serde::{Deserialize, Serialize};

/// How a client's users prove the second factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Flow {
    /// User-Password is the one-time code: one round.
    Otp,
    /// User-Password is the first factor (or empty); the code is asked for
    /// in an Access-Challenge.
    Challenge,
}

/// Who checks the first factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FirstFactor {
    /// The client already checked it (as NPS and RD Gateway do).
    None,
    /// Forward the Access-Request to an upstream RADIUS server.
    Radius,
    /// Check the password by binding as the user in the directory (`[directory]`).
    Ldap,
}

impl Flow {
    pub fn parse(text: &str) -> Option<Flow> {
        match text {
            "otp" => Some(Flow::Otp),
            "challenge" => Some(Flow::Challenge),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Flow::Otp => "otp",
            Flow::Challenge => "challenge",
        }
    }
}

impl FirstFactor {
    pub fn parse(text: &str) -> Option<FirstFactor> {
        match text {
            "none" => Some(FirstFactor::None),
            "radius" => Some(FirstFactor::Radius),
            "ldap" => Some(FirstFactor::Ldap),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            FirstFactor::None => "none",
            FirstFactor::Radius => "radius",
            FirstFactor::Ldap => "ldap",
        }
    }
}

/// A RADIUS client as stored: secrets sealed to `radius_clients.<id>.<column>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRadiusClient {
    pub id: String,
    pub name: String,
    /// An address or CIDR block.
    pub address: String,
    pub sealed_secret: Vec<u8>,
    pub flow: Flow,
    pub first_factor: FirstFactor,
    /// `host:port` of the upstream RADIUS server.
    pub upstream: Option<String>,
    pub sealed_upstream_secret: Option<Vec<u8>>,
    pub require_message_authenticator: bool,
    /// The upstream's answers must carry Message-Authenticator.
    pub upstream_require_message_authenticator: bool,
    pub rules: crate::model::door::DoorRules,
    pub created_at: i64,
}

/// A pending Access-Challenge: the State sent, and what the next round needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    pub state: String,
    pub username: String,
    pub client: String,
    /// Reply attributes of the upstream server's Access-Accept, encoded, to
    /// pass through in the final answer.
    pub attributes: Vec<u8>,
    pub expires_at: i64,
    /// The sign-in transaction the answer completes (a texted or emailed
    /// code); `None` when the answer is an OATH code.
    pub transaction_id: Option<String>,
}

/// Requests from one client dropped for one cause, in the current episode
/// (drops less than an hour apart count together).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DropCount {
    /// The client's name, or the address of a sender nobody configured.
    pub source: String,
    pub cause: String,
    pub count: i64,
    pub last_at: i64,
}
