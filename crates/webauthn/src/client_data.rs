//! Collected client data (WebAuthn §5.8.1): what the browser says about the ceremony.

use serde::Deserialize;

use crate::b64;
use crate::error::{clip, WebauthnError};
use crate::types::Challenge;

/// The members of `clientDataJSON` a relying party checks.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ClientData {
    /// "webauthn.create" or "webauthn.get".
    #[serde(rename = "type")]
    pub kind: String,
    /// The challenge, base64url.
    pub challenge: String,
    /// The origin of the page that ran the ceremony.
    pub origin: String,
    #[serde(rename = "crossOrigin", default)]
    pub cross_origin: Option<bool>,
    #[serde(rename = "topOrigin", default)]
    pub top_origin: Option<String>,
}

/// The ceremony a client data must belong to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ceremony {
    Create,
    Get,
}

impl Ceremony {
    fn kind(self) -> &'static str {
        match self {
            Ceremony::Create => "webauthn.create",
            Ceremony::Get => "webauthn.get",
        }
    }
}

impl ClientData {
    /// Reads `clientDataJSON` (UTF-8 JSON; members this crate does not use are ignored).
    pub fn parse(bytes: &[u8]) -> Result<Self, WebauthnError> {
        serde_json::from_slice(bytes).map_err(|e| WebauthnError::MalformedClientData(e.to_string()))
    }

    /// Checks type, challenge, origin and that no cross-origin frame ran it, in that order.
    pub fn check(
        &self,
        ceremony: Ceremony,
        challenge: &Challenge,
        origins: &[String],
    ) -> Result<(), WebauthnError> {
        if self.kind != ceremony.kind() {
            return Err(WebauthnError::WrongType {
                expected: ceremony.kind(),
                found: clip(&self.kind),
            });
        }
        let received = b64::decode(&self.challenge, "client data challenge")?;
        if received != challenge.as_bytes() {
            return Err(WebauthnError::ChallengeMismatch);
        }
        if !origins.contains(&self.origin) {
            return Err(WebauthnError::WrongOrigin(clip(&self.origin)));
        }
        if self.cross_origin == Some(true) || self.top_origin.is_some() {
            return Err(WebauthnError::CrossOrigin(
                self.top_origin.as_deref().map(clip),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
#[path = "client_data_tests.rs"]
mod tests;
