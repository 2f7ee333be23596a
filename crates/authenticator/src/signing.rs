//! The device key (ECDSA P-256) and the signature every `/device/v1` call
//! after activation carries, over the canonical text of
//! `countersign_device_proto::canonical_string`.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use countersign_device_proto::{
    canonical_string, HEADER_DEVICE, HEADER_NONCE, HEADER_SIGNATURE, HEADER_TIMESTAMP,
};
use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};

/// What can go wrong with the device key.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("the system random number generator failed; cannot make a key or nonce")]
    Random,
    #[error("the stored device key is not a valid P-256 PKCS#8 key ({0}); the store file is damaged: activate again")]
    Rejected(String),
    #[error(
        "the stored device key is not valid base64; the store file is damaged: activate again"
    )]
    Encoding,
    #[error("signing failed; the device key is unusable: activate again")]
    Sign,
}

/// The device's ECDSA P-256 key pair.
pub struct DeviceKey {
    pair: EcdsaKeyPair,
    pkcs8: Vec<u8>,
    rng: SystemRandom,
}

impl DeviceKey {
    /// A new random key pair.
    pub fn generate() -> Result<DeviceKey, KeyError> {
        let rng = SystemRandom::new();
        let doc = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .map_err(|_| KeyError::Random)?;
        DeviceKey::from_pkcs8(doc.as_ref())
    }

    /// The key from its PKCS#8 document.
    pub fn from_pkcs8(pkcs8: &[u8]) -> Result<DeviceKey, KeyError> {
        let rng = SystemRandom::new();
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8, &rng)
            .map_err(|e| KeyError::Rejected(e.to_string()))?;
        Ok(DeviceKey {
            pair,
            pkcs8: pkcs8.to_vec(),
            rng,
        })
    }

    /// The key from base64 PKCS#8, as kept in the store.
    pub fn from_pkcs8_base64(text: &str) -> Result<DeviceKey, KeyError> {
        let der = STANDARD.decode(text).map_err(|_| KeyError::Encoding)?;
        DeviceKey::from_pkcs8(&der)
    }

    /// The PKCS#8 document in base64, for the store.
    pub fn pkcs8_base64(&self) -> String {
        STANDARD.encode(&self.pkcs8)
    }

    /// The public key: the 65-byte uncompressed point, base64.
    pub fn public_key_base64(&self) -> String {
        STANDARD.encode(self.pair.public_key().as_ref())
    }

    /// The 64-byte r‖s signature of `message`, base64.
    pub fn sign_base64(&self, message: &[u8]) -> Result<String, KeyError> {
        let sig = self
            .pair
            .sign(&self.rng, message)
            .map_err(|_| KeyError::Sign)?;
        Ok(STANDARD.encode(sig.as_ref()))
    }

    /// A fresh nonce: 32 random bytes as 43 characters of `[A-Za-z0-9_-]`.
    pub fn nonce(&self) -> Result<String, KeyError> {
        let mut bytes = [0u8; 32];
        self.rng.fill(&mut bytes).map_err(|_| KeyError::Random)?;
        Ok(URL_SAFE_NO_PAD.encode(bytes))
    }

    /// The four headers of a signed request, as (name, value) pairs.
    pub fn sign_request(
        &self,
        device_id: &str,
        req: &RequestToSign<'_>,
    ) -> Result<Vec<(&'static str, String)>, KeyError> {
        let nonce = self.nonce()?;
        // The header carries the very text that was signed.
        let timestamp = req.timestamp.to_string();
        let text = canonical_string(req.method, req.path_and_query, &timestamp, &nonce, req.body);
        let signature = self.sign_base64(text.as_bytes())?;
        Ok(vec![
            (HEADER_DEVICE, device_id.to_owned()),
            (HEADER_TIMESTAMP, timestamp),
            (HEADER_NONCE, nonce),
            (HEADER_SIGNATURE, signature),
        ])
    }
}

/// The parts of a request that the signature covers (with the nonce).
pub struct RequestToSign<'a> {
    /// As on the request line: upper case.
    pub method: &'a str,
    pub path_and_query: &'a str,
    pub timestamp: u64,
    pub body: &'a [u8],
}

#[cfg(test)]
#[path = "signing_tests.rs"]
mod tests;
