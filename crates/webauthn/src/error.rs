//! Why a ceremony was refused: one variant per check, each with a stable code.

use crate::types::Aaguid;

/// A refused registration or assertion, or a response that could not be read.
///
/// Every check of the WebAuthn ceremonies has its own variant, so the engine
/// can audit the reason ([`WebauthnError::code`]) and a person can read what
/// went wrong (`Display`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebauthnError {
    #[error("the {field} is not valid base64url (RFC 4648 §5, without padding)")]
    MalformedBase64 { field: &'static str },
    #[error("the response is not the JSON the browser's toJSON() gives: {0}")]
    MalformedJson(String),
    #[error("the client data (clientDataJSON) is not valid JSON of the expected shape: {0}")]
    MalformedClientData(String),
    #[error("the {what} is not valid CBOR: {detail}")]
    MalformedCbor { what: &'static str, detail: String },
    #[error("the authenticator data is malformed: {0}")]
    MalformedAuthenticatorData(&'static str),
    #[error("the credential type is {0:?}; only \"public-key\" is used")]
    WrongCredentialType(String),
    #[error("the client data type is {found:?} where {expected:?} was expected")]
    WrongType {
        expected: &'static str,
        found: String,
    },
    #[error("the challenge in the client data is not the one issued for this ceremony (stale page or replayed response)")]
    ChallengeMismatch,
    #[error("the origin {0:?} is not one of the allowed origins (webauthn.origins)")]
    WrongOrigin(String),
    #[error("the ceremony ran in a cross-origin frame (top origin {0:?}), which is not allowed")]
    CrossOrigin(Option<String>),
    #[error("the authenticator data names another relying party: its RP ID hash is not SHA-256 of the configured rp_id")]
    WrongRpIdHash,
    #[error("the authenticator did not report user presence (UP flag clear)")]
    UserPresenceMissing,
    #[error("the authenticator did not verify the user (no PIN or biometric, UV flag clear) and user verification is required")]
    UserVerificationMissing,
    #[error("the authenticator data of a registration carries no attested credential data (AT flag clear)")]
    AttestedCredentialMissing,
    #[error("the credential id of the response is not the one in the authenticator data or the one expected")]
    CredentialIdMismatch,
    #[error("the credential id is {0} bytes long; at most 1023 are allowed")]
    CredentialIdTooLong(usize),
    #[error("the COSE algorithm {0} is not accepted here (ES256 -7, EdDSA -8 and RS256 -257 are, as configured)")]
    UnsupportedAlgorithm(i64),
    #[error("the credential public key is invalid: {0}")]
    InvalidPublicKey(&'static str),
    #[error("the attestation format {0:?} is not supported with attestation \"direct\" (none and packed are)")]
    UnsupportedAttestationFormat(String),
    #[error("the attestation statement is invalid: {0}")]
    InvalidAttestation(&'static str),
    #[error("the authenticator model {0} is not in the AAGUID allow-list")]
    AaguidNotAllowed(Aaguid),
    #[error("the signature does not verify with the credential's public key")]
    BadSignature,
    #[error("the signature counter went from {stored} to {received}: the credential may have been cloned")]
    CounterWentBackwards { stored: u32, received: u32 },
    #[error("the user handle of the assertion is not the handle of the credential's user")]
    UserHandleMismatch,
    #[error("the authenticator's backup eligibility changed since registration")]
    BackupEligibilityChanged,
    #[error("the authenticator data says backed up (BS) without backup eligibility (BE)")]
    BackupStateWithoutEligibility,
    #[error("the user handle must be 1 to 64 bytes, not {0}")]
    InvalidUserHandle(usize),
    #[error("the challenge must be 16 to 64 bytes, not {0}")]
    InvalidChallenge(usize),
    #[error("the system random number generator failed")]
    Random,
}

/// At most 128 characters of a value the client sent, for an error message.
pub(crate) fn clip(text: &str) -> String {
    text.chars().take(128).collect()
}

impl WebauthnError {
    /// A stable snake_case code for audit records and API errors.
    pub fn code(&self) -> &'static str {
        use WebauthnError::*;
        match self {
            MalformedBase64 { .. } | MalformedJson(_) | MalformedClientData(_) => {
                "malformed_response"
            }
            MalformedCbor { .. } | MalformedAuthenticatorData(_) => "malformed_response",
            WrongCredentialType(_) | WrongType { .. } => "wrong_type",
            ChallengeMismatch => "challenge_mismatch",
            WrongOrigin(_) | CrossOrigin(_) => "wrong_origin",
            WrongRpIdHash => "wrong_rp_id",
            UserPresenceMissing => "user_presence_missing",
            UserVerificationMissing => "user_verification_missing",
            AttestedCredentialMissing | CredentialIdTooLong(_) => "malformed_response",
            CredentialIdMismatch => "credential_mismatch",
            UnsupportedAlgorithm(_) => "unsupported_algorithm",
            InvalidPublicKey(_) => "invalid_public_key",
            UnsupportedAttestationFormat(_) | InvalidAttestation(_) => "attestation_invalid",
            AaguidNotAllowed(_) => "authenticator_not_allowed",
            BadSignature => "signature_invalid",
            CounterWentBackwards { .. } => "credential_cloned",
            UserHandleMismatch => "user_handle_mismatch",
            BackupEligibilityChanged | BackupStateWithoutEligibility => "backup_flags_invalid",
            InvalidUserHandle(_) | InvalidChallenge(_) | Random => "internal",
        }
    }
}

/// A relying party set-up that cannot work (checked once, at start).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("the RP ID {0:?} is not a lowercase domain name (like \"example.com\", no scheme, port or path)")]
    InvalidRpId(String),
    #[error("no origin is allowed: set at least one (like \"https://login.example.com\")")]
    NoOrigins,
    #[error("the origin {0:?} is not scheme://host[:port] with nothing after it")]
    InvalidOrigin(String),
    #[error("the origin {0:?} is not https (plain http is allowed only for localhost)")]
    InsecureOrigin(String),
    #[error("the origin {origin:?} is outside the RP ID {rp_id:?}: its host must be the RP ID or a subdomain of it")]
    OriginOutsideRpId { origin: String, rp_id: String },
    #[error("no public key algorithm is allowed: keep at least one of ES256, EdDSA, RS256")]
    NoAlgorithms,
}
