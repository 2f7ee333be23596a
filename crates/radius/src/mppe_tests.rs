use super::*;
use crate::hide_password;

const SECRET: &[u8] = b"hogehogefugafuga";
const AUTH: [u8; 16] = [
    0x67, 0x8a, 0xe6, 0xed, 0x69, 0x6e, 0x1b, 0xd1, 0x0a, 0xe2, 0xfe, 0xa1, 0x05, 0xd4, 0x6a, 0x56,
];

/// A known answer from another implementation (OpenBSD's libradius tests):
/// an MS-MPPE key encrypted with salt 0x8036.
const ENCRYPTED: [u8; 34] = [
    0x80, 0x36, 0xf4, 0xab, 0xbe, 0x21, 0x17, 0xfb, 0x3e, 0x4a, 0x78, 0x74, 0xdc, 0xe9, 0x1c, 0x5b,
    0x04, 0x49, 0x8e, 0xc7, 0x72, 0x0f, 0x16, 0x86, 0x88, 0x56, 0x2d, 0xbc, 0x88, 0xe2, 0x1c, 0xab,
    0x62, 0x71,
];
const KEY: [u8; 16] = [
    0xfc, 0x6e, 0xa4, 0x18, 0x37, 0x3d, 0x8e, 0x90, 0xc1, 0x36, 0xfa, 0xe3, 0x73, 0x5e, 0x37, 0xd1,
];

#[test]
fn decrypts_a_known_answer() {
    assert_eq!(decrypt_mppe_key(&ENCRYPTED, SECRET, &AUTH).unwrap(), KEY);
}

#[test]
fn encrypts_to_the_known_answer_with_its_salt() {
    let encrypted = encrypt_mppe_key(&KEY, SECRET, &AUTH, [0x80, 0x36]).unwrap();
    assert_eq!(encrypted, ENCRYPTED);
}

#[test]
fn round_trips_every_length_and_sets_the_salt_bit() {
    for len in 0..=MAX_MPPE_KEY_LEN {
        let key: Vec<u8> = (0..len).map(|i| i as u8).collect();
        let encrypted = encrypt_mppe_key(&key, b"s", &[3; 16], [0x01, 0x02]).unwrap();
        assert_eq!(encrypted[0], 0x81, "top bit of the salt is set");
        assert_eq!((encrypted.len() - 2) % 16, 0);
        assert!(encrypted.len() <= crate::vsa::MAX_VENDOR_VALUE_LEN);
        assert_eq!(decrypt_mppe_key(&encrypted, b"s", &[3; 16]).unwrap(), key);
    }
    assert_eq!(
        encrypt_mppe_key(&[0; MAX_MPPE_KEY_LEN + 1], b"s", &AUTH, [0x80, 0]),
        Err(PacketError::MppeKeyTooLong { len: 240 })
    );
}

#[test]
fn another_secret_or_authenticator_does_not_give_the_key() {
    let other_secret = decrypt_mppe_key(&ENCRYPTED, b"other", &AUTH);
    assert_ne!(other_secret.ok().as_deref(), Some(&KEY[..]));
    let other_auth = decrypt_mppe_key(&ENCRYPTED, SECRET, &[0; 16]);
    assert_ne!(other_auth.ok().as_deref(), Some(&KEY[..]));
}

#[test]
fn refuses_bad_values() {
    for len in [0, 1, 2, 3, 17, 33, 35, 2 + 16 * 16] {
        assert_eq!(
            decrypt_mppe_key(&vec![0x80; len], SECRET, &AUTH),
            Err(PacketError::MppeValueLength { len })
        );
    }
    assert_eq!(
        decrypt_mppe_key(&ENCRYPTED, b"", &AUTH),
        Err(PacketError::EmptySecret)
    );
    // A length byte beyond the plaintext is refused, not read past.
    let mut forged = encrypt_mppe_key(&[], SECRET, &AUTH, [0x80, 0]).unwrap();
    forged[2] ^= 0x20;
    assert_eq!(
        decrypt_mppe_key(&forged, SECRET, &AUTH),
        Err(PacketError::MppeKeyLength { len: 0x20 })
    );
}

#[test]
fn salts_are_marked_and_distinct() {
    let first = mppe_salt(&[]);
    let second = mppe_salt(&[first]);
    assert!(first[0] & 0x80 != 0 && second[0] & 0x80 != 0);
    assert_ne!(first, second);
}

#[test]
fn chap_mppe_keys_hide_like_a_password_and_keep_their_zeros() {
    let mut plain = [0x5a_u8; 32];
    plain[24..].fill(0);
    let hidden = encrypt_chap_mppe_keys(&plain, SECRET, &AUTH).unwrap();
    assert_eq!(hidden, hide_password(&plain[..24], SECRET, &AUTH).unwrap());
    assert_eq!(
        decrypt_chap_mppe_keys(&hidden, SECRET, &AUTH).unwrap(),
        plain
    );
    for len in [0, 24, 31, 256] {
        assert!(encrypt_chap_mppe_keys(&vec![1; len], SECRET, &AUTH).is_err());
        assert!(decrypt_chap_mppe_keys(&vec![1; len], SECRET, &AUTH).is_err());
    }
}
