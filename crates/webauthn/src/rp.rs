//! The relying party: its ID, name, allowed origins and policy, checked once.

use ring::digest;
use serde::{Deserialize, Serialize};

use crate::error::ConfigError;
use crate::types::{Aaguid, Algorithm};

/// Whether the authenticator must verify the user (PIN, biometric).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UserVerification {
    Required,
    Preferred,
    Discouraged,
}

/// Whether the credential should be discoverable (a passkey usable without a username).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ResidentKey {
    Required,
    Preferred,
    Discouraged,
}

/// Which attestation to ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AttestationPreference {
    /// Nothing proved; any format received is stored as unverified.
    None,
    /// `none` or `packed` (self or with a certificate whose signature is checked).
    Direct,
}

/// What the relying party asks for and accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// Default `Required`: a passkey is then both factors.
    pub user_verification: UserVerification,
    /// Default `Preferred`.
    pub resident_key: ResidentKey,
    /// Default `None`.
    pub attestation: AttestationPreference,
    /// Offered in this order and accepted at registration; default ES256, EdDSA, RS256.
    pub algorithms: Vec<Algorithm>,
    /// When set, only these authenticator models may register. Without
    /// verified attestation the AAGUID is the authenticator's own word.
    pub aaguid_allow_list: Option<Vec<Aaguid>>,
    /// The ceremony timeout given to the browser, in milliseconds; default 5 minutes.
    pub timeout_ms: u32,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            user_verification: UserVerification::Required,
            resident_key: ResidentKey::Preferred,
            attestation: AttestationPreference::None,
            algorithms: Algorithm::all(),
            aaguid_allow_list: None,
            timeout_ms: 300_000,
        }
    }
}

/// A relying party: made once from configuration, then used for every ceremony.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelyingParty {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) origins: Vec<String>,
    pub(crate) id_hash: [u8; 32],
    pub(crate) policy: Policy,
}

impl RelyingParty {
    /// `id` is the RP ID (a domain, e.g. "example.com"); `origins` the web
    /// origins allowed to use it (https, or http only on localhost), each
    /// on the RP ID or a subdomain of it.
    pub fn new(
        id: &str,
        name: &str,
        origins: &[String],
        policy: Policy,
    ) -> Result<Self, ConfigError> {
        check_rp_id(id)?;
        if origins.is_empty() {
            return Err(ConfigError::NoOrigins);
        }
        for origin in origins {
            check_origin(origin, id)?;
        }
        if policy.algorithms.is_empty() {
            return Err(ConfigError::NoAlgorithms);
        }
        let hash = digest::digest(&digest::SHA256, id.as_bytes());
        let mut id_hash = [0u8; 32];
        id_hash.copy_from_slice(hash.as_ref());
        Ok(RelyingParty {
            id: id.to_owned(),
            name: name.to_owned(),
            origins: origins.to_vec(),
            id_hash,
            policy,
        })
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn origins(&self) -> &[String] {
        &self.origins
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The same relying party with another policy (e.g. user verification
    /// only preferred for a passkey used as a second factor).
    pub fn with_policy(&self, policy: Policy) -> Result<Self, ConfigError> {
        if policy.algorithms.is_empty() {
            return Err(ConfigError::NoAlgorithms);
        }
        Ok(RelyingParty {
            policy,
            ..self.clone()
        })
    }
}

fn check_rp_id(id: &str) -> Result<(), ConfigError> {
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    };
    // A domain, not an IP address: its last label is not all digits.
    let numeric = id
        .rsplit('.')
        .next()
        .is_some_and(|l| l.bytes().all(|b| b.is_ascii_digit()));
    if id.is_empty() || id.len() > 253 || numeric || !id.split('.').all(label_ok) {
        return Err(ConfigError::InvalidRpId(id.to_owned()));
    }
    Ok(())
}

/// The host of `scheme://host[:port]`, and whether the scheme is https.
fn origin_host(origin: &str) -> Option<(bool, &str)> {
    let (https, rest) = if let Some(rest) = origin.strip_prefix("https://") {
        (true, rest)
    } else {
        (false, origin.strip_prefix("http://")?)
    };
    let (host, port) = match rest.split_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (rest, None),
    };
    if let Some(port) = port {
        if port.is_empty() || port.len() > 5 || !port.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
    }
    check_rp_id(host).ok()?;
    Some((https, host))
}

/// The check `countersign doctor` needs too: `origin` is usable with RP ID `rp_id`.
pub fn check_origin(origin: &str, rp_id: &str) -> Result<(), ConfigError> {
    let (https, host) =
        origin_host(origin).ok_or_else(|| ConfigError::InvalidOrigin(origin.to_owned()))?;
    let localhost = host == "localhost" || host.ends_with(".localhost");
    if !https && !localhost {
        return Err(ConfigError::InsecureOrigin(origin.to_owned()));
    }
    let inside = host == rp_id
        || host
            .strip_suffix(rp_id)
            .is_some_and(|head| head.ends_with('.'));
    if !inside {
        return Err(ConfigError::OriginOutsideRpId {
            origin: origin.to_owned(),
            rp_id: rp_id.to_owned(),
        });
    }
    Ok(())
}

#[cfg(test)]
#[path = "rp_tests.rs"]
mod tests;
