//! What the browser's `PublicKeyCredential.toJSON()` gives back
//! (`RegistrationResponseJSON`, `AuthenticationResponseJSON`, WebAuthn Level 3 §5.1).

use serde::{Deserialize, Serialize};

use crate::b64;
use crate::error::{clip, WebauthnError};

/// `AuthenticatorAttestationResponseJSON`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AttestationResponseJson {
    #[serde(rename = "clientDataJSON")]
    pub client_data_json: String,
    pub attestation_object: String,
    #[serde(default)]
    pub transports: Vec<String>,
    /// The browser's copies of what the attestation object holds; not used
    /// (the attestation object is what is verified).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authenticator_data: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_key_algorithm: Option<i64>,
}

/// `AuthenticatorAssertionResponseJSON`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssertionResponseJson {
    #[serde(rename = "clientDataJSON")]
    pub client_data_json: String,
    pub authenticator_data: String,
    pub signature: String,
    #[serde(default)]
    pub user_handle: Option<String>,
}

/// The credProps extension's output.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredPropsJson {
    #[serde(default)]
    pub rk: Option<bool>,
}

/// The client extension results this crate reads; others are ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientExtensionResultsJson {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cred_props: Option<CredPropsJson>,
}

/// `RegistrationResponseJSON`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegistrationResponse {
    pub id: String,
    pub raw_id: String,
    pub response: AttestationResponseJson,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authenticator_attachment: Option<String>,
    #[serde(default)]
    pub client_extension_results: ClientExtensionResultsJson,
    #[serde(rename = "type")]
    pub kind: String,
}

/// `AuthenticationResponseJSON`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthenticationResponse {
    pub id: String,
    pub raw_id: String,
    pub response: AssertionResponseJson,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authenticator_attachment: Option<String>,
    #[serde(default)]
    pub client_extension_results: ClientExtensionResultsJson,
    #[serde(rename = "type")]
    pub kind: String,
}

fn from_json<T: serde::de::DeserializeOwned>(json: &str) -> Result<T, WebauthnError> {
    serde_json::from_str(json).map_err(|e| WebauthnError::MalformedJson(e.to_string()))
}

fn from_value<T: serde::de::DeserializeOwned>(
    value: &serde_json::Value,
) -> Result<T, WebauthnError> {
    T::deserialize(value).map_err(|e| WebauthnError::MalformedJson(e.to_string()))
}

/// The credential id, checked: `id` and `rawId` are the same base64url bytes.
fn credential_id(id: &str, raw_id: &str, kind: &str) -> Result<Vec<u8>, WebauthnError> {
    if kind != "public-key" {
        return Err(WebauthnError::WrongCredentialType(clip(kind)));
    }
    let raw = b64::decode(raw_id, "rawId")?;
    if b64::decode(id, "id")? != raw {
        return Err(WebauthnError::CredentialIdMismatch);
    }
    Ok(raw)
}

impl RegistrationResponse {
    pub fn from_json(json: &str) -> Result<Self, WebauthnError> {
        from_json(json)
    }

    /// The same from JSON already parsed (a field of a request body).
    pub fn from_value(value: &serde_json::Value) -> Result<Self, WebauthnError> {
        from_value(value)
    }

    /// The new credential's id (`rawId`, equal to `id`).
    pub fn credential_id(&self) -> Result<Vec<u8>, WebauthnError> {
        credential_id(&self.id, &self.raw_id, &self.kind)
    }
}

impl AuthenticationResponse {
    pub fn from_json(json: &str) -> Result<Self, WebauthnError> {
        from_json(json)
    }

    /// The same from JSON already parsed (a field of a request body).
    pub fn from_value(value: &serde_json::Value) -> Result<Self, WebauthnError> {
        from_value(value)
    }

    /// The id of the credential that signed: find the stored credential by it.
    pub fn credential_id(&self) -> Result<Vec<u8>, WebauthnError> {
        credential_id(&self.id, &self.raw_id, &self.kind)
    }

    /// The user handle, if the authenticator returned one (always at a
    /// discoverable sign-in): find the user by it.
    pub fn user_handle(&self) -> Result<Option<Vec<u8>>, WebauthnError> {
        match self.response.user_handle.as_deref() {
            None | Some("") => Ok(None),
            Some(text) => b64::decode(text, "userHandle").map(Some),
        }
    }
}
