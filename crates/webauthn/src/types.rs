//! The values a relying party keeps: challenges, algorithms, AAGUIDs, credentials.

use std::fmt;

use ring::rand::{SecureRandom, SystemRandom};
use serde::{Deserialize, Serialize};

use crate::b64;
use crate::error::WebauthnError;

/// A COSE signature algorithm this crate verifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Algorithm {
    /// ECDSA on P-256 with SHA-256, COSE -7.
    Es256,
    /// Ed25519, COSE -8.
    EdDsa,
    /// RSASSA-PKCS1-v1_5 with SHA-256, COSE -257.
    Rs256,
}

impl Algorithm {
    /// The COSE algorithm identifier (IANA "COSE Algorithms").
    pub fn cose(self) -> i64 {
        match self {
            Algorithm::Es256 => -7,
            Algorithm::EdDsa => -8,
            Algorithm::Rs256 => -257,
        }
    }

    /// The algorithm of a COSE identifier, if this crate verifies it.
    pub fn from_cose(alg: i64) -> Option<Self> {
        match alg {
            -7 => Some(Algorithm::Es256),
            -8 => Some(Algorithm::EdDsa),
            -257 => Some(Algorithm::Rs256),
            _ => None,
        }
    }

    /// ES256, EdDSA and RS256, in the order offered to authenticators.
    pub fn all() -> Vec<Algorithm> {
        vec![Algorithm::Es256, Algorithm::EdDsa, Algorithm::Rs256]
    }
}

/// An authenticator model's identifier (16 bytes; all zero when not told).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Aaguid(pub [u8; 16]);

impl Aaguid {
    /// Reads the UUID form `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` (any case).
    pub fn parse(text: &str) -> Option<Self> {
        let hyphens = text
            .bytes()
            .enumerate()
            .all(|(i, b)| (b == b'-') == matches!(i, 8 | 13 | 18 | 23));
        if text.len() != 36 || !hyphens {
            return None;
        }
        let hex: Vec<u8> = text.bytes().filter(|b| *b != b'-').collect();
        let mut out = [0u8; 16];
        for (i, pair) in hex.chunks(2).enumerate() {
            let digits = std::str::from_utf8(pair).ok()?;
            out[i] = u8::from_str_radix(digits, 16).ok()?;
        }
        Some(Aaguid(out))
    }

    /// Whether the authenticator did not name its model.
    pub fn is_zero(&self) -> bool {
        self.0 == [0; 16]
    }
}

impl fmt::Display for Aaguid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, b) in self.0.iter().enumerate() {
            if matches!(i, 4 | 6 | 8 | 10) {
                f.write_str("-")?;
            }
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl Serialize for Aaguid {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Aaguid {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Aaguid::parse(&text).ok_or_else(|| serde::de::Error::custom("not an AAGUID (a UUID)"))
    }
}

/// The random challenge of one ceremony (16 to 64 bytes; 32 when generated).
#[derive(Clone, PartialEq, Eq)]
pub struct Challenge(Vec<u8>);

impl Challenge {
    /// 32 bytes from the system's random number generator.
    pub fn generate() -> Result<Self, WebauthnError> {
        Ok(Challenge(random_bytes(32)?))
    }

    /// A challenge issued before (as the engine stored it).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, WebauthnError> {
        if !(16..=64).contains(&bytes.len()) {
            return Err(WebauthnError::InvalidChallenge(bytes.len()));
        }
        Ok(Challenge(bytes.to_vec()))
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The challenge as the options JSON carries it.
    pub fn to_base64url(&self) -> String {
        b64::encode(&self.0)
    }
}

impl fmt::Debug for Challenge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Challenge({})", self.to_base64url())
    }
}

/// `n` bytes from the system's random number generator (for user handles).
pub fn random_bytes(n: usize) -> Result<Vec<u8>, WebauthnError> {
    let mut out = vec![0u8; n];
    SystemRandom::new()
        .fill(&mut out)
        .map_err(|_| WebauthnError::Random)?;
    Ok(out)
}

/// What the attestation statement proved about the authenticator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Attestation {
    /// `none`: nothing is proved; the AAGUID is the authenticator's word.
    None,
    /// `packed` without certificates, signed by the credential key itself.
    SelfAttestation,
    /// `packed` signed by the first certificate of `chain` (DER). The
    /// signature was verified; the chain was not checked against any
    /// trust anchor (FIDO metadata is not loaded).
    Certified { chain: Vec<Vec<u8>> },
    /// Another format received while attestation `none` was asked for: its
    /// statement was not read, as for `none`.
    Unverified { format: String },
}

/// A registered credential: everything the relying party keeps about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credential {
    /// The credential id (at most 1023 bytes).
    pub id: Vec<u8>,
    /// The credential public key as the authenticator sent it (COSE_Key).
    pub public_key: Vec<u8>,
    pub algorithm: Algorithm,
    pub aaguid: Aaguid,
    /// The signature counter (0 for authenticators that keep none).
    pub sign_count: u32,
    /// Transports the browser reported ("usb", "nfc", "ble", "hybrid", "internal", ...).
    pub transports: Vec<String>,
    /// Whether the user was verified at registration.
    pub user_verified: bool,
    /// BE: the credential may be synced (a multi-device passkey).
    pub backup_eligible: bool,
    /// BS: the credential is backed up now.
    pub backup_state: bool,
    /// The credProps extension's answer: a discoverable (resident) key, if told.
    pub discoverable: Option<bool>,
    pub attestation: Attestation,
}

/// A verified assertion: what to store and audit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authentication {
    pub credential_id: Vec<u8>,
    /// The new signature counter, to store (compare-and-set) on the credential.
    pub sign_count: u32,
    pub user_verified: bool,
    /// BS now (it may change over a credential's life).
    pub backup_state: bool,
    /// The user handle the authenticator returned (discoverable sign-in).
    pub user_handle: Option<Vec<u8>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aaguids_read_and_write_the_uuid_form() {
        let text = "ee882879-721c-4913-9775-3dfcce97072a";
        let aaguid = Aaguid::parse(text).unwrap();
        assert_eq!(aaguid.to_string(), text);
        assert_eq!(Aaguid::parse(&text.to_uppercase()), Some(aaguid));
        for bad in [
            "",
            "ee882879721c491397753dfcce97072a",
            "ee882879-721c-4913-9775-3dfcce97072",
            "ee88287-9721c-4913-9775-3dfcce97072a",
            "ee882879-721c-4913-9775-3dfcce97072g",
            "ee882879-721c-4913-9775-3dfcce9707é",
        ] {
            assert_eq!(Aaguid::parse(bad), None, "{bad}");
        }
        let json = serde_json::to_string(&aaguid).unwrap();
        assert_eq!(serde_json::from_str::<Aaguid>(&json).unwrap(), aaguid);
        assert!(Aaguid::default().is_zero());
    }
}
