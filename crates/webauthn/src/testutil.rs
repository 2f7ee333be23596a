//! A tiny software authenticator for the unit tests: CBOR written by hand,
//! keys and signatures from ring. (The fixed vectors in tests/vectors come
//! from independent authenticators; this one makes the cases in between.)

use ring::digest::{digest, SHA256};
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, Ed25519KeyPair, KeyPair, ECDSA_P256_SHA256_ASN1_SIGNING};
use serde_json::json;

use crate::b64;

pub const RP_ID: &str = "example.com";
pub const ORIGIN: &str = "https://example.com";
pub const UP: u8 = 0x01;
pub const UV: u8 = 0x04;
pub const BE: u8 = 0x08;
pub const BS: u8 = 0x10;
pub const AT: u8 = 0x40;
pub const ED: u8 = 0x80;

/// A CBOR byte string header and its bytes.
pub fn cbor_bytes(b: &[u8]) -> Vec<u8> {
    let mut out = match b.len() {
        n @ 0..=23 => vec![0x40 | n as u8],
        n @ 24..=255 => vec![0x58, n as u8],
        n => vec![0x59, (n >> 8) as u8, n as u8],
    };
    out.extend_from_slice(b);
    out
}

/// A CBOR text string (short).
pub fn cbor_text(s: &str) -> Vec<u8> {
    let mut out = vec![0x60 | s.len() as u8];
    out.extend_from_slice(s.as_bytes());
    out
}

/// `{1: 2, 3: -7, -1: 1, -2: x, -3: y}`.
pub fn cose_es256(point: &[u8]) -> Vec<u8> {
    let mut out = vec![0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21];
    out.extend(cbor_bytes(&point[1..33]));
    out.push(0x22);
    out.extend(cbor_bytes(&point[33..65]));
    out
}

/// `{1: 1, 3: -8, -1: 6, -2: x}`.
pub fn cose_ed25519(x: &[u8]) -> Vec<u8> {
    let mut out = vec![0xa4, 0x01, 0x01, 0x03, 0x27, 0x20, 0x06, 0x21];
    out.extend(cbor_bytes(x));
    out
}

pub enum TestKey {
    Es256(EcdsaKeyPair),
    Ed25519(Ed25519KeyPair),
}

impl TestKey {
    pub fn es256() -> Self {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng).unwrap();
        TestKey::Es256(
            EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref(), &rng)
                .unwrap(),
        )
    }

    pub fn ed25519() -> Self {
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).unwrap();
        TestKey::Ed25519(Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap())
    }

    pub fn cose(&self) -> Vec<u8> {
        match self {
            TestKey::Es256(k) => cose_es256(k.public_key().as_ref()),
            TestKey::Ed25519(k) => cose_ed25519(k.public_key().as_ref()),
        }
    }

    pub fn sign(&self, msg: &[u8]) -> Vec<u8> {
        match self {
            TestKey::Es256(k) => k.sign(&SystemRandom::new(), msg).unwrap().as_ref().to_vec(),
            TestKey::Ed25519(k) => k.sign(msg).as_ref().to_vec(),
        }
    }
}

/// Authenticator data: RP ID hash, flags, counter, then `rest` (attested data, extensions).
pub fn auth_data(rp_id: &str, flags: u8, counter: u32, rest: &[u8]) -> Vec<u8> {
    let mut out = digest(&SHA256, rp_id.as_bytes()).as_ref().to_vec();
    out.push(flags);
    out.extend_from_slice(&counter.to_be_bytes());
    out.extend_from_slice(rest);
    out
}

/// Attested credential data: AAGUID, id length, id, COSE key.
pub fn attested(aaguid: [u8; 16], id: &[u8], cose: &[u8]) -> Vec<u8> {
    let mut out = aaguid.to_vec();
    out.extend_from_slice(&(id.len() as u16).to_be_bytes());
    out.extend_from_slice(id);
    out.extend_from_slice(cose);
    out
}

pub fn client_data(kind: &str, challenge: &[u8], origin: &str) -> Vec<u8> {
    json!({"type": kind, "challenge": b64::encode(challenge), "origin": origin, "crossOrigin": false})
        .to_string()
        .into_bytes()
}

/// `{"fmt": fmt, "attStmt": stmt, "authData": auth}` with `stmt` already CBOR.
pub fn attestation_object(fmt: &str, stmt: &[u8], auth: &[u8]) -> Vec<u8> {
    let mut out = vec![0xa3];
    out.extend(cbor_text("fmt"));
    out.extend(cbor_text(fmt));
    out.extend(cbor_text("attStmt"));
    out.extend_from_slice(stmt);
    out.extend(cbor_text("authData"));
    out.extend(cbor_bytes(auth));
    out
}

pub fn registration_json(id: &[u8], client_data: &[u8], object: &[u8]) -> String {
    json!({"id": b64::encode(id), "rawId": b64::encode(id), "type": "public-key",
        "response": {"clientDataJSON": b64::encode(client_data),
                     "attestationObject": b64::encode(object), "transports": ["internal"]},
        "clientExtensionResults": {"credProps": {"rk": true}}})
    .to_string()
}

/// An assertion signed by `key` over `auth || SHA-256(client_data)`.
pub fn assertion_json(
    key: &TestKey,
    id: &[u8],
    auth: &[u8],
    client_data: &[u8],
    handle: Option<&[u8]>,
) -> String {
    let mut signed = auth.to_vec();
    signed.extend_from_slice(digest(&SHA256, client_data).as_ref());
    json!({"id": b64::encode(id), "rawId": b64::encode(id), "type": "public-key",
        "response": {"clientDataJSON": b64::encode(client_data),
                     "authenticatorData": b64::encode(auth),
                     "signature": b64::encode(&key.sign(&signed)),
                     "userHandle": handle.map(b64::encode)},
        "clientExtensionResults": {}})
    .to_string()
}
