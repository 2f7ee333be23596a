//! Compact JWS (RFC 7515) for ID tokens and access tokens: ES256 and
//! RS256 with ring, from PKCS#8 keys (docs/decisions/0008-oidc-jws.md).
//! Only what the provider signs itself is ever verified here (its own
//! access tokens at userinfo, an `id_token_hint` at logout).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, KeyPair, RsaKeyPair, UnparsedPublicKey};
use serde::Serialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::model::error::DomainError;
use crate::model::oidc::SigningAlg;

/// RSA keys made for RS256 clients.
pub const RSA_BITS: usize = 2048;

enum Pair {
    Ec(EcdsaKeyPair),
    Rsa(RsaKeyPair),
}

/// One signing key, open in memory.
pub struct Signer {
    pub kid: String,
    pub alg: SigningAlg,
    pair: Pair,
    rng: SystemRandom,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Signer({} {})", self.alg.as_str(), self.kid)
    }
}

/// Makes a new private key (PKCS#8 DER) for `alg`.
pub fn generate(alg: SigningAlg) -> Result<Vec<u8>, DomainError> {
    match alg {
        SigningAlg::ES256 => {
            let doc = EcdsaKeyPair::generate_pkcs8(
                &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
                &SystemRandom::new(),
            )
            .map_err(|_| {
                DomainError::invalid("oidc.keys", "the system could not make an EC key")
            })?;
            Ok(doc.as_ref().to_vec())
        }
        SigningAlg::RS256 => {
            use rsa::pkcs8::EncodePrivateKey;
            let key = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, RSA_BITS).map_err(|e| {
                DomainError::invalid("oidc.keys", format!("making an RSA key: {e}"))
            })?;
            let der = key.to_pkcs8_der().map_err(|e| {
                DomainError::invalid("oidc.keys", format!("encoding an RSA key: {e}"))
            })?;
            Ok(der.as_bytes().to_vec())
        }
    }
}

/// `kid`: the first 16 bytes of the SHA-256 of the public key, base64url.
fn key_id(public: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(&Sha256::digest(public)[..16])
}

impl Signer {
    /// Opens a PKCS#8 key; its `kid` is derived from the public key.
    pub fn from_pkcs8(alg: SigningAlg, pkcs8: &[u8]) -> Result<Signer, DomainError> {
        let rng = SystemRandom::new();
        let bad = |_| DomainError::invalid("oidc.keys", "a stored signing key does not open");
        let pair = match alg {
            SigningAlg::ES256 => Pair::Ec(
                EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8, &rng)
                    .map_err(bad)?,
            ),
            SigningAlg::RS256 => Pair::Rsa(RsaKeyPair::from_pkcs8(pkcs8).map_err(bad)?),
        };
        let kid = key_id(public_bytes(&pair));
        Ok(Signer {
            kid,
            alg,
            pair,
            rng,
        })
    }

    /// The public key as a JWK (RFC 7517), with `kid`, `alg` and `use`.
    pub fn jwk(&self) -> Value {
        match &self.pair {
            Pair::Ec(pair) => {
                let point = pair.public_key().as_ref();
                json!({"kty": "EC", "crv": "P-256", "kid": self.kid, "alg": "ES256", "use": "sig",
                       "x": URL_SAFE_NO_PAD.encode(&point[1..33]), "y": URL_SAFE_NO_PAD.encode(&point[33..65])})
            }
            Pair::Rsa(pair) => {
                let parts: ring::rsa::PublicKeyComponents<Vec<u8>> = pair.public().into();
                let trim = |v: &[u8]| {
                    URL_SAFE_NO_PAD.encode(&v[v.iter().take_while(|b| **b == 0).count()..])
                };
                json!({"kty": "RSA", "kid": self.kid, "alg": "RS256", "use": "sig", "n": trim(&parts.n), "e": trim(&parts.e)})
            }
        }
    }

    /// `header.payload.signature` for these claims, `typ` as given (`JWT`, `at+jwt`).
    pub fn sign<C: Serialize>(&self, typ: &str, claims: &C) -> Result<String, DomainError> {
        let header = json!({"alg": self.alg.as_str(), "kid": self.kid, "typ": typ});
        let encode = |v: &[u8]| URL_SAFE_NO_PAD.encode(v);
        let header = serde_json::to_vec(&header).unwrap_or_default();
        let payload = serde_json::to_vec(claims)
            .map_err(|e| DomainError::invalid("claims", e.to_string()))?;
        let input = format!("{}.{}", encode(&header), encode(&payload));
        let failed = |_| DomainError::invalid("oidc.keys", "signing failed");
        let sig = match &self.pair {
            Pair::Ec(pair) => pair
                .sign(&self.rng, input.as_bytes())
                .map_err(failed)?
                .as_ref()
                .to_vec(),
            Pair::Rsa(pair) => {
                let mut sig = vec![0u8; pair.public().modulus_len()];
                pair.sign(
                    &signature::RSA_PKCS1_SHA256,
                    &self.rng,
                    input.as_bytes(),
                    &mut sig,
                )
                .map_err(failed)?;
                sig
            }
        };
        Ok(format!("{input}.{}", encode(&sig)))
    }

    /// Checks a compact JWS this key signed; the payload on success.
    pub fn verify(&self, parts: &Compact<'_>) -> bool {
        let input = parts.signing_input.as_bytes();
        match &self.pair {
            Pair::Ec(pair) => UnparsedPublicKey::new(
                &signature::ECDSA_P256_SHA256_FIXED,
                pair.public_key().as_ref(),
            )
            .verify(input, &parts.signature)
            .is_ok(),
            Pair::Rsa(pair) => UnparsedPublicKey::new(
                &signature::RSA_PKCS1_2048_8192_SHA256,
                pair.public().as_ref(),
            )
            .verify(input, &parts.signature)
            .is_ok(),
        }
    }
}

fn public_bytes(pair: &Pair) -> &[u8] {
    match pair {
        Pair::Ec(p) => p.public_key().as_ref(),
        Pair::Rsa(p) => p.public().as_ref(),
    }
}

/// A compact JWS taken apart (not yet verified).
#[derive(Debug)]
pub struct Compact<'a> {
    pub signing_input: &'a str,
    pub alg: String,
    pub kid: Option<String>,
    pub typ: Option<String>,
    pub claims: Value,
    pub signature: Vec<u8>,
}

/// Splits `token` into its parts; `None` when it is not a compact JWS of JSON objects.
pub fn parse(token: &str) -> Option<Compact<'_>> {
    if token.len() > 16 * 1024 {
        return None;
    }
    let mut parts = token.split('.');
    let (h, p, s) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(h).ok()?).ok()?;
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(p).ok()?).ok()?;
    if !header.is_object() || !claims.is_object() {
        return None;
    }
    let text = |k: &str| header.get(k).and_then(Value::as_str).map(str::to_string);
    Some(Compact {
        signing_input: &token[..h.len() + 1 + p.len()],
        alg: text("alg")?,
        kid: text("kid"),
        typ: text("typ"),
        claims,
        signature: URL_SAFE_NO_PAD.decode(s).ok()?,
    })
}

/// `at_hash` (OIDC Core 3.1.3.6): the left half of the SHA-256 of the
/// access token, base64url (both ES256 and RS256 use SHA-256).
pub fn half_hash(value: &str) -> String {
    URL_SAFE_NO_PAD.encode(&Sha256::digest(value.as_bytes())[..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn es256_signs_and_verifies_and_refuses_a_changed_token() {
        let signer =
            Signer::from_pkcs8(SigningAlg::ES256, &generate(SigningAlg::ES256).unwrap()).unwrap();
        let token = signer.sign("JWT", &json!({"sub": "usr_1"})).unwrap();
        let parts = parse(&token).unwrap();
        assert_eq!(parts.kid.as_deref(), Some(signer.kid.as_str()));
        assert!(signer.verify(&parts));
        let changed = token.replacen("eyJzdWIiOiJ1c3JfMSJ9", "eyJzdWIiOiJ1c3JfMiJ9", 1);
        assert_ne!(changed, token);
        assert!(!signer.verify(&parse(&changed).unwrap()));
        assert_eq!(signer.jwk()["crv"], "P-256");
    }

    #[test]
    fn parse_refuses_what_is_not_a_compact_jws() {
        for bad in ["", "a.b", "a.b.c.d", "e30.e30.!!", "W10.e30.AA"] {
            assert!(parse(bad).is_none(), "{bad}");
        }
    }
}
