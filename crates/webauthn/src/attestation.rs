//! The attestation object (WebAuthn §6.5) and its statement: `none` and `packed` (§8.2).

use minicbor::data::Type;
use minicbor::Decoder;
use rustls_pki_types::CertificateDer;

use crate::cose::PublicKey;
use crate::error::{clip, WebauthnError};
use crate::rp::AttestationPreference;
use crate::types::{Algorithm, Attestation};

/// The three members of an attestation object, borrowed from its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttestationObject<'a> {
    pub fmt: &'a str,
    /// The attestation statement, still CBOR (its shape depends on `fmt`).
    pub att_stmt: &'a [u8],
    pub auth_data: &'a [u8],
}

fn cbor(what: &'static str) -> impl Fn(minicbor::decode::Error) -> WebauthnError {
    move |e| WebauthnError::MalformedCbor {
        what,
        detail: e.to_string(),
    }
}

fn invalid(what: &'static str) -> WebauthnError {
    WebauthnError::InvalidAttestation(what)
}

impl<'a> AttestationObject<'a> {
    /// Reads the CBOR map `{fmt, attStmt, authData}`; nothing may follow it.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, WebauthnError> {
        let err = cbor("attestation object");
        let mut d = Decoder::new(bytes);
        let len = d
            .map()
            .map_err(&err)?
            .ok_or_else(|| invalid("indefinite-length map"))?;
        let (mut fmt, mut att_stmt, mut auth_data) = (None, None, None);
        for _ in 0..len {
            let key = d.str().map_err(&err)?;
            let seen = match key {
                "fmt" => fmt.replace(d.str().map_err(&err)?).is_some(),
                "authData" => auth_data.replace(d.bytes().map_err(&err)?).is_some(),
                "attStmt" => {
                    let start = d.position();
                    if d.datatype().map_err(&err)? != Type::Map {
                        return Err(invalid("attStmt is not a map"));
                    }
                    d.skip().map_err(&err)?;
                    att_stmt.replace(&bytes[start..d.position()]).is_some()
                }
                _ => {
                    d.skip().map_err(&err)?;
                    false
                }
            };
            if seen {
                return Err(invalid("a member of the attestation object appears twice"));
            }
        }
        if d.position() != bytes.len() {
            return Err(invalid("bytes follow the attestation object"));
        }
        Ok(AttestationObject {
            fmt: fmt.ok_or_else(|| invalid("no fmt"))?,
            att_stmt: att_stmt.ok_or_else(|| invalid("no attStmt"))?,
            auth_data: auth_data.ok_or_else(|| invalid("no authData"))?,
        })
    }
}

/// A `packed` statement: `{alg, sig, x5c?}`.
struct Packed<'a> {
    alg: i64,
    sig: &'a [u8],
    x5c: Vec<&'a [u8]>,
}

/// At most this many certificates in x5c (a leaf and a few intermediates).
const MAX_CHAIN: u64 = 8;

fn parse_packed(stmt: &[u8]) -> Result<Packed<'_>, WebauthnError> {
    let err = cbor("packed attestation statement");
    let mut d = Decoder::new(stmt);
    let len = d
        .map()
        .map_err(&err)?
        .ok_or_else(|| invalid("indefinite-length attStmt"))?;
    let (mut alg, mut sig, mut x5c) = (None, None, None);
    for _ in 0..len {
        let seen = match d.str().map_err(&err)? {
            "alg" => alg.replace(d.i64().map_err(&err)?).is_some(),
            "sig" => sig.replace(d.bytes().map_err(&err)?).is_some(),
            "x5c" => {
                let n = d
                    .array()
                    .map_err(&err)?
                    .ok_or_else(|| invalid("indefinite x5c"))?;
                if n == 0 || n > MAX_CHAIN {
                    return Err(invalid("x5c holds no certificate or too many"));
                }
                let certs = (0..n)
                    .map(|_| d.bytes().map_err(&err))
                    .collect::<Result<Vec<_>, _>>()?;
                x5c.replace(certs).is_some()
            }
            _ => return Err(invalid("packed attStmt has an unknown member")),
        };
        if seen {
            return Err(invalid("a member of attStmt appears twice"));
        }
    }
    Ok(Packed {
        alg: alg.ok_or_else(|| invalid("packed attStmt has no alg"))?,
        sig: sig.ok_or_else(|| invalid("packed attStmt has no sig"))?,
        x5c: x5c.unwrap_or_default(),
    })
}

/// Verifies the statement over `auth_data || client_data_hash` and says what it proved.
pub(crate) fn verify_statement(
    object: &AttestationObject<'_>,
    credential_key: &PublicKey,
    client_data_hash: &[u8],
    preference: AttestationPreference,
) -> Result<Attestation, WebauthnError> {
    match object.fmt {
        "none" => {
            if object.att_stmt != [0xa0] {
                return Err(invalid("a none attestation carries a statement"));
            }
            Ok(Attestation::None)
        }
        "packed" => {
            let packed = parse_packed(object.att_stmt)?;
            let mut signed = Vec::with_capacity(object.auth_data.len() + client_data_hash.len());
            signed.extend_from_slice(object.auth_data);
            signed.extend_from_slice(client_data_hash);
            verify_packed(&packed, credential_key, &signed)
        }
        other if preference == AttestationPreference::None => Ok(Attestation::Unverified {
            format: clip(other),
        }),
        other => Err(WebauthnError::UnsupportedAttestationFormat(clip(other))),
    }
}

fn verify_packed(
    packed: &Packed<'_>,
    credential_key: &PublicKey,
    signed: &[u8],
) -> Result<Attestation, WebauthnError> {
    let Some(leaf) = packed.x5c.first() else {
        // Self attestation: the credential key signs, with its own algorithm.
        if packed.alg != credential_key.algorithm().cose() {
            return Err(invalid(
                "self attestation names another algorithm than the credential key",
            ));
        }
        credential_key
            .verify(signed, packed.sig)
            .map_err(|_| invalid("the self attestation signature does not verify"))?;
        return Ok(Attestation::SelfAttestation);
    };
    let algorithm = match Algorithm::from_cose(packed.alg) {
        Some(Algorithm::Es256) => webpki::ring::ECDSA_P256_SHA256,
        Some(Algorithm::EdDsa) => webpki::ring::ED25519,
        Some(Algorithm::Rs256) => webpki::ring::RSA_PKCS1_2048_8192_SHA256,
        None => return Err(WebauthnError::UnsupportedAlgorithm(packed.alg)),
    };
    let der = CertificateDer::from(*leaf);
    let cert = webpki::EndEntityCert::try_from(&der)
        .map_err(|_| invalid("the attestation certificate is not a valid X.509 certificate"))?;
    cert.verify_signature(algorithm, signed, packed.sig)
        .map_err(|_| invalid("the attestation signature does not verify with its certificate"))?;
    Ok(Attestation::Certified {
        chain: packed.x5c.iter().map(|c| c.to_vec()).collect(),
    })
}

#[cfg(test)]
#[path = "attestation_tests.rs"]
mod tests;
