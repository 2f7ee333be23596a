//! Ceremony options as the JSON the browser's `PublicKeyCredential.parseCreationOptionsFromJSON`
//! and `parseRequestOptionsFromJSON` take (WebAuthn Level 3 §5.1.9, §5.5.2 JSON forms).

use serde::{Deserialize, Serialize};

use crate::b64;
use crate::error::WebauthnError;
use crate::rp::{AttestationPreference, RelyingParty, ResidentKey, UserVerification};
use crate::types::{Challenge, Credential};

/// The account a credential is made for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// The user handle: 1 to 64 bytes, random, no personal data; the
    /// authenticator returns it at a discoverable sign-in.
    pub handle: Vec<u8>,
    /// The name shown to pick the account (e.g. the username).
    pub name: String,
    pub display_name: String,
}

/// `PublicKeyCredentialRpEntity`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RpEntityJson {
    pub name: String,
    pub id: String,
}

/// `PublicKeyCredentialUserEntityJSON`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserEntityJson {
    /// base64url user handle.
    pub id: String,
    pub name: String,
    pub display_name: String,
}

/// `PublicKeyCredentialParameters`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialParameters {
    #[serde(rename = "type")]
    pub kind: String,
    pub alg: i64,
}

/// `PublicKeyCredentialDescriptorJSON`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialDescriptorJson {
    #[serde(rename = "type")]
    pub kind: String,
    /// base64url credential id.
    pub id: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub transports: Vec<String>,
}

impl CredentialDescriptorJson {
    pub fn of(credential: &Credential) -> Self {
        CredentialDescriptorJson {
            kind: "public-key".into(),
            id: b64::encode(&credential.id),
            transports: credential.transports.clone(),
        }
    }
}

/// `AuthenticatorSelectionCriteria`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthenticatorSelectionJson {
    pub resident_key: ResidentKey,
    /// Level 1's form of `residentKey`, for older browsers.
    pub require_resident_key: bool,
    pub user_verification: UserVerification,
}

/// The extensions asked for at registration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreationExtensionsJson {
    /// credProps: the browser tells whether the key is discoverable.
    pub cred_props: bool,
}

/// `PublicKeyCredentialCreationOptionsJSON`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreationOptionsJson {
    pub rp: RpEntityJson,
    pub user: UserEntityJson,
    /// base64url challenge.
    pub challenge: String,
    pub pub_key_cred_params: Vec<CredentialParameters>,
    pub timeout: u32,
    pub exclude_credentials: Vec<CredentialDescriptorJson>,
    pub authenticator_selection: AuthenticatorSelectionJson,
    pub attestation: AttestationPreference,
    pub extensions: CreationExtensionsJson,
}

/// `PublicKeyCredentialRequestOptionsJSON`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestOptionsJson {
    /// base64url challenge.
    pub challenge: String,
    pub timeout: u32,
    pub rp_id: String,
    /// Empty for a discoverable sign-in (the authenticator offers its passkeys).
    pub allow_credentials: Vec<CredentialDescriptorJson>,
    pub user_verification: UserVerification,
}

impl RelyingParty {
    /// The options of a registration for `user`; `exclude` are the user's
    /// credentials already registered (an authenticator holding one refuses).
    pub fn creation_options(
        &self,
        user: &User,
        challenge: &Challenge,
        exclude: &[Credential],
    ) -> Result<CreationOptionsJson, WebauthnError> {
        if !(1..=64).contains(&user.handle.len()) {
            return Err(WebauthnError::InvalidUserHandle(user.handle.len()));
        }
        let policy = &self.policy;
        Ok(CreationOptionsJson {
            rp: RpEntityJson {
                name: self.name.clone(),
                id: self.id.clone(),
            },
            user: UserEntityJson {
                id: b64::encode(&user.handle),
                name: user.name.clone(),
                display_name: user.display_name.clone(),
            },
            challenge: challenge.to_base64url(),
            pub_key_cred_params: policy
                .algorithms
                .iter()
                .map(|a| CredentialParameters {
                    kind: "public-key".into(),
                    alg: a.cose(),
                })
                .collect(),
            timeout: policy.timeout_ms,
            exclude_credentials: exclude.iter().map(CredentialDescriptorJson::of).collect(),
            authenticator_selection: AuthenticatorSelectionJson {
                resident_key: policy.resident_key,
                require_resident_key: policy.resident_key == ResidentKey::Required,
                user_verification: policy.user_verification,
            },
            attestation: policy.attestation,
            extensions: CreationExtensionsJson { cred_props: true },
        })
    }

    /// The options of a sign-in; `allow` empty for a discoverable sign-in
    /// (no username), else the user's credentials.
    pub fn request_options(
        &self,
        challenge: &Challenge,
        allow: &[Credential],
    ) -> RequestOptionsJson {
        RequestOptionsJson {
            challenge: challenge.to_base64url(),
            timeout: self.policy.timeout_ms,
            rp_id: self.id.clone(),
            allow_credentials: allow.iter().map(CredentialDescriptorJson::of).collect(),
            user_verification: self.policy.user_verification,
        }
    }
}

#[cfg(test)]
#[path = "options_tests.rs"]
mod tests;
