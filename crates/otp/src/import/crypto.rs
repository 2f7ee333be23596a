//! The cryptography of RFC 6030 key containers: AES-CBC decryption of
//! `EncryptedValue`s (IV first), HMAC over the IV and ciphertext
//! (`ValueMAC`), and PBKDF2 for password-based containers.

use aes::cipher::{block_padding::Pkcs7, BlockDecryptMut, KeyIvInit};
use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::{Sha256, Sha512};
use subtle::ConstantTimeEq;

/// The block ciphers of xmlenc that PSKC files use for secrets (all in CBC mode).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cipher {
    Aes128,
    Aes192,
    Aes256,
}

impl Cipher {
    /// From an xmlenc algorithm URI (`http://www.w3.org/2001/04/xmlenc#aes128-cbc`, ...).
    pub fn from_uri(uri: &str) -> Option<Self> {
        match uri.rsplit('#').next()? {
            "aes128-cbc" => Some(Self::Aes128),
            "aes192-cbc" => Some(Self::Aes192),
            "aes256-cbc" => Some(Self::Aes256),
            _ => None,
        }
    }

    pub fn key_len(self) -> usize {
        match self {
            Self::Aes128 => 16,
            Self::Aes192 => 24,
            Self::Aes256 => 32,
        }
    }
}

/// Why a value did not decrypt: a wrong key shows up as bad padding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecryptError {
    KeyLength { expected: usize, found: usize },
    TooShort,
    Padding,
}

/// Decrypts `iv || ciphertext` with PKCS#7 padding.
pub fn decrypt(cipher: Cipher, key: &[u8], data: &[u8]) -> Result<Vec<u8>, DecryptError> {
    if key.len() != cipher.key_len() {
        return Err(DecryptError::KeyLength {
            expected: cipher.key_len(),
            found: key.len(),
        });
    }
    if data.len() < 32 || data.len() & 15 != 0 {
        return Err(DecryptError::TooShort);
    }
    let (iv, body) = data.split_at(16);
    let result = match cipher {
        Cipher::Aes128 => run::<cbc::Decryptor<aes::Aes128>>(key, iv, body),
        Cipher::Aes192 => run::<cbc::Decryptor<aes::Aes192>>(key, iv, body),
        Cipher::Aes256 => run::<cbc::Decryptor<aes::Aes256>>(key, iv, body),
    };
    result.ok_or(DecryptError::Padding)
}

fn run<D: KeyIvInit + BlockDecryptMut>(key: &[u8], iv: &[u8], body: &[u8]) -> Option<Vec<u8>> {
    let decryptor = D::new_from_slices(key, iv).ok()?;
    let mut buffer = body.to_vec();
    let plain = decryptor
        .decrypt_padded_mut::<Pkcs7>(&mut buffer)
        .ok()?
        .len();
    buffer.truncate(plain);
    Some(buffer)
}

/// The HMACs of xmldsig / xmldsig-more that `MACMethod` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MacAlgorithm {
    HmacSha1,
    HmacSha256,
    HmacSha512,
}

impl MacAlgorithm {
    pub fn from_uri(uri: &str) -> Option<Self> {
        match uri.rsplit('#').next()? {
            "hmac-sha1" => Some(Self::HmacSha1),
            "hmac-sha256" => Some(Self::HmacSha256),
            "hmac-sha512" => Some(Self::HmacSha512),
            _ => None,
        }
    }
}

/// Checks `mac` over `data` in constant time.
pub fn mac_matches(algorithm: MacAlgorithm, key: &[u8], data: &[u8], mac: &[u8]) -> bool {
    let computed = match algorithm {
        MacAlgorithm::HmacSha1 => hmac::<Hmac<Sha1>>(key, data),
        MacAlgorithm::HmacSha256 => hmac::<Hmac<Sha256>>(key, data),
        MacAlgorithm::HmacSha512 => hmac::<Hmac<Sha512>>(key, data),
    };
    computed.len() == mac.len() && bool::from(computed.ct_eq(mac))
}

fn hmac<M: Mac + hmac::digest::KeyInit>(key: &[u8], data: &[u8]) -> Vec<u8> {
    // HMAC takes keys of any length (RFC 2104), so this cannot fail.
    let mut mac = <M as hmac::digest::KeyInit>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

/// PBKDF2 (RFC 8018) with HMAC-SHA1, the PSKC default PRF, or HMAC-SHA256.
pub fn pbkdf2(password: &[u8], salt: &[u8], rounds: u32, len: usize, sha256: bool) -> Vec<u8> {
    let mut out = vec![0u8; len];
    if sha256 {
        pbkdf2::pbkdf2_hmac::<Sha256>(password, salt, rounds, &mut out);
    } else {
        pbkdf2::pbkdf2_hmac::<Sha1>(password, salt, rounds, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6030_figure7_password_derives_the_published_key() {
        // Salt "Ej7/PEpyEpw=" of RFC 6030 figure 7; key 651e63cd57008476af1ff6422cd02e41.
        let salt = [0x12, 0x3e, 0xff, 0x3c, 0x4a, 0x72, 0x12, 0x9c];
        let key = pbkdf2(b"qwerty", &salt, 1000, 16, false);
        let expected = [
            0x65, 0x1e, 0x63, 0xcd, 0x57, 0x00, 0x84, 0x76, 0xaf, 0x1f, 0xf6, 0x42, 0x2c, 0xd0,
            0x2e, 0x41,
        ];
        assert_eq!(key, expected);
    }

    #[test]
    fn decrypt_refuses_wrong_sizes() {
        assert_eq!(
            decrypt(Cipher::Aes128, &[0; 15], &[0; 32]),
            Err(DecryptError::KeyLength {
                expected: 16,
                found: 15
            })
        );
        assert_eq!(
            decrypt(Cipher::Aes128, &[0; 16], &[0; 31]),
            Err(DecryptError::TooShort)
        );
        assert_eq!(
            Cipher::from_uri("http://www.w3.org/2001/04/xmlenc#aes256-cbc"),
            Some(Cipher::Aes256)
        );
        assert_eq!(Cipher::from_uri("urn:x#kw-aes128"), None);
    }
}
