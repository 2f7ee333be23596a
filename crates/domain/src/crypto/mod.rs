//! Secrets at rest: sealed with ChaCha20-Poly1305 and bound to their row.
//!
//! The associated data names the table, the row id and the column, so a
//! ciphertext copied into another row (or another column) fails to open.

pub mod backup;
pub mod pin;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use rand::RngCore;

use crate::model::error::DomainError;

const NONCE_LEN: usize = 12;

/// The 256-bit key that seals every secret at rest. Never logged.
#[derive(Clone)]
pub struct SecretKey(Key);

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(..)")
    }
}

impl SecretKey {
    pub const LEN: usize = 32;

    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        (bytes.len() == Self::LEN).then(|| Self(*Key::from_slice(bytes)))
    }

    pub fn generate() -> (Self, [u8; 32]) {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        (Self(*Key::from_slice(&bytes)), bytes)
    }

    /// Seals `plain` for the row `table.id.column`; output is nonce || ciphertext.
    pub fn seal(&self, table: &str, id: &str, column: &str, plain: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let aad = associated_data(table, id, column);
        let cipher = ChaCha20Poly1305::new(&self.0);
        let sealed = cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plain,
                    aad: &aad,
                },
            )
            .unwrap_or_default(); // encryption cannot fail for in-memory sizes
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        out
    }

    /// Opens what [`SecretKey::seal`] produced for the same row.
    pub fn open(
        &self,
        table: &str,
        id: &str,
        column: &str,
        sealed: &[u8],
    ) -> Result<Vec<u8>, DomainError> {
        if sealed.len() < NONCE_LEN {
            return Err(DomainError::Decrypt);
        }
        let (nonce, body) = sealed.split_at(NONCE_LEN);
        let aad = associated_data(table, id, column);
        ChaCha20Poly1305::new(&self.0)
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: body,
                    aad: &aad,
                },
            )
            .map_err(|_| DomainError::Decrypt)
    }
}

impl SecretKey {
    /// A keyed hash for `purpose` (e.g. activation codes): without the key,
    /// a copied database does not allow guessing offline.
    pub fn mac(&self, purpose: &str, data: &[u8]) -> [u8; 32] {
        hmac_sha256(&self.purpose_key(purpose), data)
    }

    /// The key [`SecretKey::mac`] uses for `purpose`, for a caller that
    /// macs often (`hmac_sha256(&purpose_key, data)` is `mac(purpose, data)`).
    pub(crate) fn purpose_key(&self, purpose: &str) -> [u8; 32] {
        hmac_sha256(self.0.as_slice(), purpose.as_bytes())
    }
}

/// HMAC-SHA-256; HMAC accepts keys of every length.
pub fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    use hmac::{Hmac, Mac};
    let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(key)
        .expect("HMAC accepts keys of every length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

fn associated_data(table: &str, id: &str, column: &str) -> Vec<u8> {
    format!("countersign:{table}:{id}:{column}").into_bytes()
}

#[cfg(test)]
mod tests {
    use super::SecretKey;

    #[test]
    fn sealed_secret_opens_only_in_its_own_row() {
        let (key, _) = SecretKey::generate();
        let sealed = key.seal("tokens", "tok_a", "secret", b"seed bytes");
        assert_eq!(
            key.open("tokens", "tok_a", "secret", &sealed)
                .expect("open"),
            b"seed bytes"
        );
        assert!(key.open("tokens", "tok_b", "secret", &sealed).is_err());
        assert!(key.open("tokens", "tok_a", "other", &sealed).is_err());
        let (other, _) = SecretKey::generate();
        assert!(other.open("tokens", "tok_a", "secret", &sealed).is_err());
        assert!(key.open("tokens", "tok_a", "secret", &sealed[..5]).is_err());
    }
}
