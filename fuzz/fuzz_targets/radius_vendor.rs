//! Vendor-Specific decoding and the RFC 2548 key decryption never panic on
//! any input; what decodes re-encodes to the same sub-attribute; a key that
//! decrypts encrypts back (same salt) to the same bytes when the value had
//! no spare blocks, and always decrypts again to the same key.
#![no_main]

use countersign_radius::vsa::{decode_vendor_specific, encode_vendor_specific};
use countersign_radius::{
    decrypt_chap_mppe_keys, decrypt_mppe_key, encrypt_chap_mppe_keys, encrypt_mppe_key,
};
use libfuzzer_sys::fuzz_target;

const SECRET: &[u8] = b"fuzzing-secret";

fuzz_target!(|data: &[u8]| {
    if let Ok(subs) = decode_vendor_specific(data) {
        let total: usize = subs.iter().map(|s| 2 + s.value.len()).sum();
        assert_eq!(total + 4, data.len());
        if let [only] = subs.as_slice() {
            if let Ok(attribute) = encode_vendor_specific(only.vendor, only.typ, &only.value) {
                assert_eq!(attribute.value, data);
            }
        }
    }

    let authenticator: [u8; 16] = data
        .get(..16)
        .and_then(|bytes| bytes.try_into().ok())
        .unwrap_or([0; 16]);
    let value = data.get(16..).unwrap_or_default();
    if let Ok(key) = decrypt_mppe_key(value, SECRET, &authenticator) {
        let salt = [value[0], value[1]];
        let again = encrypt_mppe_key(&key, SECRET, &authenticator, salt).expect("a key that fits");
        assert_eq!(decrypt_mppe_key(&again, SECRET, &authenticator), Ok(key));
    }
    if let Ok(plain) = decrypt_chap_mppe_keys(value, SECRET, &authenticator) {
        let again = encrypt_chap_mppe_keys(&plain, SECRET, &authenticator).expect("same length");
        assert_eq!(again, value);
    }
});
