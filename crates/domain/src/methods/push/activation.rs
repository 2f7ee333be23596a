//! Activating an authenticator: a one-time code (and URL, or a QR with
//! both and the server's key pin) binds a device key to a user.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use countersign_otp::Kind;
use rand::Rng;
use serde::Serialize;
use subtle::ConstantTimeEq;

use crate::methods::push::Push;
use crate::model::error::DomainError;
use crate::model::ids::new_id;
use crate::model::push::{Activation, Device};
use crate::TokenSpec;

/// Wrong codes that invalidate an activation.
pub const MAX_ATTEMPTS: i64 = 10;

#[derive(Debug, Clone)]
pub struct ActivationGrant {
    /// 16 digits; shown in groups of 4.
    pub code: String,
    pub expires_at: i64,
}

impl ActivationGrant {
    pub fn grouped(&self) -> String {
        self.code
            .as_bytes()
            .chunks(4)
            .map(|c| String::from_utf8_lossy(c).to_string())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ActivationError {
    #[error("no activation has this code: check the digits, or ask for a new activation")]
    NotFound,
    #[error("this activation code was already used: ask your administrator for a new one")]
    Used,
    #[error("this activation code has expired: ask your administrator for a new one")]
    Expired,
    #[error("this activation was locked after {MAX_ATTEMPTS} wrong codes: ask your administrator for a new one")]
    Locked,
    #[error("the activation code is wrong ({remaining} attempt(s) left)")]
    Wrong { remaining: i64 },
    #[error("the user already has {0} devices, the most allowed: remove one first")]
    DeviceLimit(u32),
    #[error("this user must approve with a PIN: choose a PIN in the authenticator and activate again (send pin_key)")]
    PinRequired,
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Domain(#[from] DomainError),
}

impl From<crate::StoreError> for ActivationError {
    fn from(e: crate::StoreError) -> Self {
        ActivationError::Domain(e.into())
    }
}

/// What the device sends.
#[derive(Debug, Clone)]
pub struct DeviceRegistration {
    pub code: String,
    pub public_key: String,
    pub device_name: String,
    pub platform: String,
    pub pin_key: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct OfflineSeed {
    pub secret: String,
    pub algorithm: String,
    pub digits: u32,
    pub period: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Activated {
    pub device_id: String,
    pub account_name: String,
    pub user: String,
    pub display_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oath: Option<OfflineSeed>,
    pub number_matching: bool,
    pub pin_required: bool,
}

impl Push {
    pub async fn create_activation(&self, username: &str) -> Result<ActivationGrant, DomainError> {
        let user = self.accounts.user(username).await?;
        for _ in 0..5 {
            let (activation, grant) = self.new_activation(&user);
            match self.store.insert_activation(&activation).await {
                Ok(()) => return Ok(grant),
                Err(crate::StoreError::Conflict(_)) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(DomainError::Conflict(
            "could not make a unique activation code; try again".into(),
        ))
    }

    /// A new activation for `user`, not yet stored (the caller inserts it;
    /// a lookup that is taken is a conflict, and a new one is made).
    pub fn new_activation(&self, user: &crate::model::user::User) -> (Activation, ActivationGrant) {
        let now = self.clock.now();
        let lookup = random_digits(8);
        let secret = random_digits(8);
        let activation = Activation {
            id: new_id("act"),
            secret_hash: self
                .key
                .mac("activation", format!("{lookup}{secret}").as_bytes())
                .to_vec(),
            lookup: lookup.clone(),
            user_id: user.id.clone(),
            created_at: now,
            expires_at: now + self.policy.activation_minutes * 60,
            attempts: 0,
            used_at: None,
        };
        let grant = ActivationGrant {
            code: format!("{lookup}{secret}"),
            expires_at: activation.expires_at,
        };
        (activation, grant)
    }

    pub async fn activate(
        &self,
        registration: DeviceRegistration,
    ) -> Result<Activated, ActivationError> {
        let digits: String = registration
            .code
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect();
        if digits.len() != 16 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ActivationError::Invalid(
                "the activation code is 16 digits".into(),
            ));
        }
        let public_key = decode_public_key(&registration.public_key)?;
        let activation = self.check_code(&digits).await?;
        let user = self
            .store
            .user_by_id(&activation.user_id)
            .await?
            .ok_or(ActivationError::NotFound)?;
        let live = self.live_settings();
        let pin_required = user.push_pin_required.unwrap_or(live.push_pin_required);
        let pin_key = decode_pin_key(registration.pin_key.as_deref(), pin_required)?;
        let devices = self.store.devices_of_user(&user.id).await?;
        if devices.len() as u32 >= self.policy.device_limit {
            return Err(ActivationError::DeviceLimit(self.policy.device_limit));
        }
        if !self
            .store
            .use_activation(&activation.id, self.clock.now(), MAX_ATTEMPTS)
            .await?
        {
            return Err(ActivationError::Used);
        }
        let (token_id, oath) = self.offline_seed(&user.username).await?;
        let id = new_id("dev");
        let device = Device {
            sealed_pin_key: pin_key.map(|k| self.key.seal("devices", &id, "pin_key", &k)),
            id,
            user_id: user.id.clone(),
            name: clean(&registration.device_name, "device"),
            platform: clean(&registration.platform, "unknown"),
            public_key,
            token_id,
            created_at: self.clock.now(),
            last_seen_at: None,
        };
        self.store.insert_device(&device).await?;
        tracing::info!(user = %user.username, device = %device.id, name = %device.name, "authenticator activated");
        Ok(Activated {
            device_id: device.id,
            account_name: live.account_name.clone(),
            user: user.username,
            display_name: user.display_name,
            oath,
            number_matching: user
                .push_number_matching
                .unwrap_or(live.push_number_matching),
            pin_required,
        })
    }

    async fn check_code(&self, digits: &str) -> Result<Activation, ActivationError> {
        let (lookup, _) = digits.split_at(8);
        let activation = self
            .store
            .activation_by_lookup(lookup)
            .await?
            .ok_or(ActivationError::NotFound)?;
        if activation.used_at.is_some() {
            return Err(ActivationError::Used);
        }
        if activation.attempts >= MAX_ATTEMPTS {
            return Err(ActivationError::Locked);
        }
        if activation.expires_at <= self.clock.now() {
            return Err(ActivationError::Expired);
        }
        let expected = self.key.mac("activation", digits.as_bytes());
        if !bool::from(expected.ct_eq(activation.secret_hash.as_slice())) {
            let attempts = self.store.count_activation_failure(&activation.id).await?;
            return Err(if attempts >= MAX_ATTEMPTS {
                ActivationError::Locked
            } else {
                ActivationError::Wrong {
                    remaining: MAX_ATTEMPTS - attempts,
                }
            });
        }
        Ok(activation)
    }

    async fn offline_seed(
        &self,
        username: &str,
    ) -> Result<(Option<String>, Option<OfflineSeed>), DomainError> {
        if !self.policy.offline_codes {
            return Ok((None, None));
        }
        let (token, enrolment) = self
            .accounts
            .add_token(
                username,
                TokenSpec {
                    kind: Some(Kind::Totp),
                    ..TokenSpec::default()
                },
            )
            .await?;
        let seed = enrolment.map(|e| OfflineSeed {
            secret: e.secret,
            algorithm: token.algorithm.to_string().to_lowercase(),
            digits: token.digits,
            period: token.period.unwrap_or(30),
        });
        Ok((Some(token.id), seed))
    }
}

/// `countersign://activate?url=..&code=..[&pin=sha256/..]`: what the QR holds.
pub fn activation_uri(url: &str, code: &str, pin: Option<&str>) -> String {
    let mut uri = format!("countersign://activate?url={}&code={code}", percent(url));
    if let Some(pin) = pin {
        uri.push_str(&format!("&pin={}", percent(&format!("sha256/{pin}"))));
    }
    uri
}

/// `<url>app#code=<16 digits>`: the web app's activation link. The code is
/// in the fragment, so neither this server nor any proxy sees it in a URL.
pub fn app_url(url: &str, code: &str) -> String {
    let base = if url.ends_with('/') {
        url.to_string()
    } else {
        format!("{url}/")
    };
    format!("{base}app#code={code}")
}

fn percent(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn random_digits(n: usize) -> String {
    let mut rng = rand::rngs::OsRng;
    (0..n)
        .map(|_| char::from(b'0' + rng.gen_range(0..10u8)))
        .collect()
}

fn decode_public_key(text: &str) -> Result<Vec<u8>, ActivationError> {
    let bytes = STANDARD
        .decode(text.trim())
        .map_err(|_| ActivationError::Invalid("public_key is not base64".into()))?;
    if bytes.len() != 65 || bytes[0] != 4 {
        return Err(ActivationError::Invalid(
            "public_key must be a 65-byte uncompressed P-256 point (04 || x || y)".into(),
        ));
    }
    Ok(bytes)
}

fn decode_pin_key(text: Option<&str>, required: bool) -> Result<Option<Vec<u8>>, ActivationError> {
    match text {
        None if required => Err(ActivationError::PinRequired),
        None => Ok(None),
        Some(t) => match STANDARD.decode(t.trim()) {
            Ok(bytes) if bytes.len() == 32 => Ok(Some(bytes)),
            _ => Err(ActivationError::Invalid(
                "pin_key must be 32 bytes in base64".into(),
            )),
        },
    }
}

fn clean(text: &str, fallback: &str) -> String {
    let cleaned: String = text.chars().filter(|c| !c.is_control()).take(64).collect();
    if cleaned.trim().is_empty() {
        fallback.to_string()
    } else {
        cleaned.trim().to_string()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn app_url_carries_the_code_in_the_fragment() {
        assert_eq!(
            super::app_url("https://mfa.example.org/", "1234567890123456"),
            "https://mfa.example.org/app#code=1234567890123456"
        );
        assert_eq!(
            super::app_url("https://mfa.example.org/mfa", "1"),
            "https://mfa.example.org/mfa/app#code=1"
        );
    }

    #[test]
    fn activation_uri_carries_url_code_and_pin() {
        let uri = super::activation_uri(
            "https://mfa.example.org/",
            "1234567890123456",
            Some("ab+c/="),
        );
        assert_eq!(
            uri,
            "countersign://activate?url=https%3A%2F%2Fmfa.example.org%2F&code=1234567890123456&pin=sha256%2Fab%2Bc%2F%3D"
        );
    }
}
