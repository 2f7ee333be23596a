//! Push approval: activations of authenticators, devices, and the sign-in
//! requests (transactions) they answer. The service is in `push_service`.

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activation {
    pub id: String,
    /// The first 8 digits of the code: finds the activation.
    pub lookup: String,
    /// Keyed hash of the last 8 digits.
    pub secret_hash: Vec<u8>,
    pub user_id: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub attempts: i64,
    pub used_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    pub id: String,
    pub user_id: String,
    pub name: String,
    pub platform: String,
    /// 65-byte uncompressed P-256 point.
    pub public_key: Vec<u8>,
    /// Sealed to `devices.<id>.pin_key`.
    pub sealed_pin_key: Option<Vec<u8>>,
    /// The TOTP token whose seed the device holds for offline codes.
    pub token_id: Option<String>,
    pub created_at: i64,
    pub last_seen_at: Option<i64>,
}

/// A device as the API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct DeviceView {
    pub id: String,
    pub name: String,
    pub platform: String,
    pub pin: bool,
    pub created_at: i64,
    /// When the device last made a signed request (its event stream, an answer).
    pub last_seen_at: Option<i64>,
}

impl Device {
    pub fn view(&self) -> DeviceView {
        DeviceView {
            id: self.id.clone(),
            name: self.name.clone(),
            platform: self.platform.clone(),
            pin: self.sealed_pin_key.is_some(),
            created_at: self.created_at,
            last_seen_at: self.last_seen_at,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxStatus {
    Pending,
    Accepted,
    Rejected,
}

impl TxStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TxStatus::Pending => "pending",
            TxStatus::Accepted => "accepted",
            TxStatus::Rejected => "rejected",
        }
    }
    pub fn parse(text: &str) -> Option<TxStatus> {
        match text {
            "pending" => Some(TxStatus::Pending),
            "accepted" => Some(TxStatus::Accepted),
            "rejected" => Some(TxStatus::Rejected),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushTransaction {
    pub id: String,
    pub user_id: String,
    pub username: String,
    /// The two digits shown on the sign-in screen, with number matching.
    pub number: Option<i64>,
    pub pin_required: bool,
    pub status: TxStatus,
    pub reason: Option<String>,
    pub application: Option<String>,
    pub client_address: Option<String>,
    pub api_key: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
    pub decided_at: Option<i64>,
    pub device_id: Option<String>,
}

/// Calls are kept as push transactions whose id starts with this (`cal_`):
/// push's own lists and answers skip them.
pub const CALL_PREFIX: &str = "cal_";

/// Whether a transaction id names a call.
pub fn is_call(transaction_id: &str) -> bool {
    transaction_id.starts_with(CALL_PREFIX)
}
