//! Passkeys (WebAuthn credentials) as the store keeps them, and the
//! challenges of their ceremonies.

use countersign_webauthn::{Aaguid, Algorithm, Attestation, Credential};
use serde::Serialize;

/// A registered passkey: the relying party's [`Credential`] and who holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPasskey {
    /// `pk_...`, the row's own id.
    pub id: String,
    pub user_id: String,
    /// The credential id as base64url (unique over all users).
    pub credential_id: String,
    pub credential: Credential,
    /// What the user called it ("YubiKey 5C", "Laptop").
    pub name: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

/// What a door shows of a passkey (never the public key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PasskeyView {
    /// base64url, the id `DELETE .../passkeys/{credential_id}` takes.
    pub credential_id: String,
    pub name: String,
    /// The authenticator model (all zero when the authenticator did not say).
    pub aaguid: Aaguid,
    pub algorithm: Algorithm,
    pub transports: Vec<String>,
    pub sign_count: u32,
    /// May be synced to other devices (a multi-device passkey).
    pub backup_eligible: bool,
    pub backup_state: bool,
    /// The credProps answer: usable without a username, if told.
    pub discoverable: Option<bool>,
    /// `none`, `self_attestation`, `certified`, `unverified`.
    pub attestation: &'static str,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

impl PasskeyView {
    pub fn of(p: &StoredPasskey) -> Self {
        let c = &p.credential;
        PasskeyView {
            credential_id: p.credential_id.clone(),
            name: p.name.clone(),
            aaguid: c.aaguid,
            algorithm: c.algorithm,
            transports: c.transports.clone(),
            sign_count: c.sign_count,
            backup_eligible: c.backup_eligible,
            backup_state: c.backup_state,
            discoverable: c.discoverable,
            attestation: match c.attestation {
                Attestation::None => "none",
                Attestation::SelfAttestation => "self_attestation",
                Attestation::Certified { .. } => "certified",
                Attestation::Unverified { .. } => "unverified",
            },
            created_at: p.created_at,
            last_used_at: p.last_used_at,
        }
    }
}

/// Which ceremony a challenge belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CeremonyKind {
    Registration,
    Assertion,
}

impl CeremonyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CeremonyKind::Registration => "registration",
            CeremonyKind::Assertion => "assertion",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "registration" => Some(CeremonyKind::Registration),
            "assertion" => Some(CeremonyKind::Assertion),
            _ => None,
        }
    }
}

/// One ceremony's challenge: single use (`used`, set by one conditional
/// UPDATE) and expiring.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebauthnChallenge {
    /// `wan_...` (a sign-in's transaction id) or `wrg_...` (a registration's ceremony id).
    pub id: String,
    pub kind: CeremonyKind,
    /// `None` for a discoverable sign-in (no username yet).
    pub user_id: Option<String>,
    pub challenge: Vec<u8>,
    pub expires_at: i64,
    pub used: bool,
}

/// The algorithm of a stored COSE identifier (ES256 when unknown: the key's
/// own COSE parameters decide at verification anyway).
pub fn algorithm_of(cose: i64) -> Algorithm {
    Algorithm::from_cose(cose).unwrap_or(Algorithm::Es256)
}
