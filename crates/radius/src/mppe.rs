//! The encrypted Microsoft attributes of an Access-Accept (RFC 2548):
//! MS-MPPE-Send-Key and MS-MPPE-Recv-Key (section 2.4.2, 2.4.3), salted,
//! and MS-CHAP-MPPE-Keys (section 2.4.1), hidden like a User-Password.
//! Both are keyed by the shared secret and the Request Authenticator of
//! the Access-Request the Accept answers, so a proxy decrypts what its
//! upstream sent and encrypts again for its own client and request.
//!
//! MPPE key: the plaintext is a length byte, the key, and zeros up to a
//! multiple of 16; `b(1) = MD5(secret + request authenticator + salt)`,
//! `b(i) = MD5(secret + c(i-1))`, `c(i) = p(i) xor b(i)`; the value is
//! salt (2 bytes, top bit set) followed by the ciphertext.

use md5::{Digest, Md5};
use rand::RngCore;

use crate::PacketError;

const BLOCK: usize = 16;
/// The longest MPPE key that fits a Vendor-Specific attribute: salt and
/// 15 blocks make 242 bytes, the blocks hold the length byte and the key.
pub const MAX_MPPE_KEY_LEN: usize = 15 * BLOCK - 1;
/// The longest MS-CHAP-MPPE-Keys value handled (RFC 2548 uses 32).
const MAX_CHAP_KEYS_LEN: usize = 15 * BLOCK;

/// A fresh salt: random, top bit set (RFC 2548). Salts of the attributes
/// of one packet must differ: pass the ones already used in `taken`.
pub fn mppe_salt(taken: &[[u8; 2]]) -> [u8; 2] {
    loop {
        let mut salt = [0u8; 2];
        rand::thread_rng().fill_bytes(&mut salt);
        salt[0] |= 0x80;
        if !taken.contains(&salt) {
            return salt;
        }
    }
}

/// Encrypts an MPPE key (MS-MPPE-Send-Key or -Recv-Key) for the answer to
/// the request with `request_authenticator`; the top bit of `salt` is set.
pub fn encrypt_mppe_key(
    key: &[u8],
    secret: &[u8],
    request_authenticator: &[u8; 16],
    salt: [u8; 2],
) -> Result<Vec<u8>, PacketError> {
    if secret.is_empty() {
        return Err(PacketError::EmptySecret);
    }
    if key.len() > MAX_MPPE_KEY_LEN {
        return Err(PacketError::MppeKeyTooLong { len: key.len() });
    }
    let salt = [salt[0] | 0x80, salt[1]];
    let mut plain = Vec::with_capacity(1 + key.len() + BLOCK);
    plain.push(u8::try_from(key.len()).unwrap_or(u8::MAX));
    plain.extend_from_slice(key);
    plain.resize(plain.len().div_ceil(BLOCK) * BLOCK, 0);
    let mut out = salt.to_vec();
    out.extend(chain(
        &plain,
        secret,
        request_authenticator,
        &salt,
        Direction::Encrypt,
    ));
    Ok(out)
}

/// Decrypts an MPPE key value (salt and ciphertext). A wrong secret or
/// authenticator usually gives an impossible length byte, reported as an
/// error; it may also give a wrong key: never trust it further than that.
pub fn decrypt_mppe_key(
    value: &[u8],
    secret: &[u8],
    request_authenticator: &[u8; 16],
) -> Result<Vec<u8>, PacketError> {
    if secret.is_empty() {
        return Err(PacketError::EmptySecret);
    }
    let Some((salt, cipher)) = value.split_first_chunk::<2>() else {
        return Err(PacketError::MppeValueLength { len: value.len() });
    };
    if cipher.is_empty() || cipher.len() % BLOCK != 0 || cipher.len() > MAX_CHAP_KEYS_LEN {
        return Err(PacketError::MppeValueLength { len: value.len() });
    }
    let plain = chain(
        cipher,
        secret,
        request_authenticator,
        salt,
        Direction::Decrypt,
    );
    let Some((&len, rest)) = plain.split_first() else {
        return Err(PacketError::MppeValueLength { len: value.len() });
    };
    rest.get(..usize::from(len))
        .map(<[u8]>::to_vec)
        .ok_or(PacketError::MppeKeyLength {
            len: usize::from(len),
        })
}

/// Hides an MS-CHAP-MPPE-Keys value (a multiple of 16 bytes, padding
/// included) the way a User-Password is hidden, without stripping zeros.
pub fn encrypt_chap_mppe_keys(
    plain: &[u8],
    secret: &[u8],
    request_authenticator: &[u8; 16],
) -> Result<Vec<u8>, PacketError> {
    check_chap_keys(plain, secret)?;
    Ok(chain(
        plain,
        secret,
        request_authenticator,
        &[],
        Direction::Encrypt,
    ))
}

/// Recovers an MS-CHAP-MPPE-Keys value, padding included.
pub fn decrypt_chap_mppe_keys(
    hidden: &[u8],
    secret: &[u8],
    request_authenticator: &[u8; 16],
) -> Result<Vec<u8>, PacketError> {
    check_chap_keys(hidden, secret)?;
    Ok(chain(
        hidden,
        secret,
        request_authenticator,
        &[],
        Direction::Decrypt,
    ))
}

fn check_chap_keys(value: &[u8], secret: &[u8]) -> Result<(), PacketError> {
    if secret.is_empty() {
        return Err(PacketError::EmptySecret);
    }
    if value.is_empty() || value.len() % BLOCK != 0 || value.len() > MAX_CHAP_KEYS_LEN {
        return Err(PacketError::MppeValueLength { len: value.len() });
    }
    Ok(())
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Direction {
    Encrypt,
    Decrypt,
}

/// The MD5 chain over whole blocks: the first keystream block is
/// `MD5(secret + authenticator + salt)`, each next one
/// `MD5(secret + previous ciphertext block)`.
fn chain(
    data: &[u8],
    secret: &[u8],
    authenticator: &[u8; 16],
    salt: &[u8],
    direction: Direction,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    let mut md5 = Md5::new();
    md5.update(secret);
    md5.update(authenticator);
    md5.update(salt);
    for block in data.chunks(BLOCK) {
        let key: [u8; 16] = md5.finalize_reset().into();
        let start = out.len();
        out.extend(block.iter().zip(key).map(|(byte, key)| byte ^ key));
        let cipher = match direction {
            Direction::Encrypt => out.get(start..).unwrap_or_default(),
            Direction::Decrypt => block,
        };
        md5.update(secret);
        md5.update(cipher);
    }
    out
}

#[cfg(test)]
#[path = "mppe_tests.rs"]
mod tests;
