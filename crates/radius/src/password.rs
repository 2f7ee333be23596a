//! User-Password hiding (RFC 2865 section 5.2).
//!
//! The password is padded with NULs to a multiple of 16 and XORed block by
//! block with `MD5(secret + previous)`, where `previous` is the Request
//! Authenticator for the first block and the previous hidden block after.

use md5::{Digest, Md5};

use crate::PacketError;

/// The longest password RFC 2865 allows (and so the longest hidden value).
pub const MAX_PASSWORD_LEN: usize = 128;
const BLOCK: usize = 16;

/// Hides a User-Password for an Access-Request with this Request
/// Authenticator. An empty password becomes one block of hidden NULs (what
/// radclient sends for an empty password).
pub fn hide_password(
    password: &[u8],
    secret: &[u8],
    request_authenticator: &[u8; 16],
) -> Result<Vec<u8>, PacketError> {
    if secret.is_empty() {
        return Err(PacketError::EmptySecret);
    }
    if password.len() > MAX_PASSWORD_LEN {
        return Err(PacketError::PasswordTooLong {
            len: password.len(),
        });
    }
    let padded_len = password.len().div_ceil(BLOCK).max(1) * BLOCK;
    let mut hidden = password.to_vec();
    hidden.resize(padded_len, 0);
    let mut previous = *request_authenticator;
    for block in hidden.chunks_mut(BLOCK) {
        xor_in_place(block, &keystream(secret, &previous));
        previous = to_block(block);
    }
    Ok(hidden)
}

/// Recovers a User-Password hidden with this secret and Request
/// Authenticator; trailing NULs (the padding) are removed. A wrong secret
/// gives garbage, not an error: compare the result, never trust it.
pub fn unhide_password(
    hidden: &[u8],
    secret: &[u8],
    request_authenticator: &[u8; 16],
) -> Result<Vec<u8>, PacketError> {
    if secret.is_empty() {
        return Err(PacketError::EmptySecret);
    }
    if hidden.is_empty() || hidden.len() % BLOCK != 0 || hidden.len() > MAX_PASSWORD_LEN {
        return Err(PacketError::HiddenPasswordLength { len: hidden.len() });
    }
    let mut password = hidden.to_vec();
    let mut previous = *request_authenticator;
    for block in password.chunks_mut(BLOCK) {
        let cipher = to_block(block);
        xor_in_place(block, &keystream(secret, &previous));
        previous = cipher;
    }
    let end = password
        .iter()
        .rposition(|&byte| byte != 0)
        .map_or(0, |last| last + 1);
    password.truncate(end);
    Ok(password)
}

/// `MD5(secret + previous)`.
fn keystream(secret: &[u8], previous: &[u8; 16]) -> [u8; 16] {
    let mut md5 = Md5::new();
    md5.update(secret);
    md5.update(previous);
    md5.finalize().into()
}

fn xor_in_place(block: &mut [u8], key: &[u8; 16]) {
    for (byte, key) in block.iter_mut().zip(key) {
        *byte ^= key;
    }
}

/// A 16-byte block as an array (blocks are always full here; a short one
/// would be zero-padded rather than panic).
fn to_block(bytes: &[u8]) -> [u8; 16] {
    let mut block = [0u8; 16];
    for (slot, byte) in block.iter_mut().zip(bytes) {
        *slot = *byte;
    }
    block
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"xyzzy5461";
    const AUTH: [u8; 16] = [7; 16];

    #[test]
    fn round_trips_every_length() {
        for len in 1..=MAX_PASSWORD_LEN {
            let password: Vec<u8> = (0..len).map(|i| b'a' + (i % 26) as u8).collect();
            let hidden = hide_password(&password, SECRET, &AUTH).unwrap();
            assert_eq!(hidden.len(), len.div_ceil(16) * 16, "length {len}");
            assert_ne!(&hidden[..len], &password[..], "length {len}");
            assert_eq!(unhide_password(&hidden, SECRET, &AUTH).unwrap(), password);
        }
    }

    #[test]
    fn empty_password_is_one_block() {
        let hidden = hide_password(b"", SECRET, &AUTH).unwrap();
        assert_eq!(hidden.len(), 16);
        assert_eq!(unhide_password(&hidden, SECRET, &AUTH).unwrap(), b"");
    }

    #[test]
    fn rejects_bad_lengths_and_empty_secret() {
        let too_long = [b'x'; 129];
        assert_eq!(
            hide_password(&too_long, SECRET, &AUTH),
            Err(PacketError::PasswordTooLong { len: 129 })
        );
        for len in [0, 1, 15, 17, 31, 144] {
            assert_eq!(
                unhide_password(&vec![1; len], SECRET, &AUTH),
                Err(PacketError::HiddenPasswordLength { len })
            );
        }
        assert_eq!(
            hide_password(b"pw", b"", &AUTH),
            Err(PacketError::EmptySecret)
        );
        assert_eq!(
            unhide_password(&[0; 16], b"", &AUTH),
            Err(PacketError::EmptySecret)
        );
    }

    #[test]
    fn wrong_secret_or_authenticator_gives_another_password() {
        let hidden = hide_password(b"arctangent", SECRET, &AUTH).unwrap();
        assert_ne!(
            unhide_password(&hidden, b"other", &AUTH).unwrap(),
            b"arctangent"
        );
        assert_ne!(
            unhide_password(&hidden, SECRET, &[8; 16]).unwrap(),
            b"arctangent"
        );
    }
}
