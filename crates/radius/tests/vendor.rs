//! The fuzz target `radius_vendor`'s properties on random and mutated
//! input, so they are checked on every `cargo test`: Vendor-Specific
//! decoding and MPPE key decryption never panic, and what decodes or
//! decrypts goes back the same way.

use countersign_radius::vsa::{decode_vendor_specific, encode_vendor_specific, ms, MICROSOFT};
use countersign_radius::{
    decrypt_chap_mppe_keys, decrypt_mppe_key, encrypt_chap_mppe_keys, encrypt_mppe_key,
};
use rand::{Rng, RngCore, SeedableRng};

const SECRET: &[u8] = b"fuzzing-secret";

fn check(data: &[u8]) {
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
        let again = encrypt_mppe_key(&key, SECRET, &authenticator, [value[0], value[1]]).unwrap();
        assert_eq!(decrypt_mppe_key(&again, SECRET, &authenticator), Ok(key));
    }
    if let Ok(plain) = decrypt_chap_mppe_keys(value, SECRET, &authenticator) {
        let again = encrypt_chap_mppe_keys(&plain, SECRET, &authenticator).unwrap();
        assert_eq!(again, value);
    }
}

#[test]
fn random_and_mutated_vendor_values_never_panic() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(311);
    for _ in 0..20_000 {
        let len = rng.gen_range(0..300);
        let mut data = vec![0u8; len];
        rng.fill_bytes(&mut data);
        check(&data);
    }
    // Well-formed values with one byte changed.
    let key = encrypt_mppe_key(&[7; 16], SECRET, &[1; 16], [0x80, 1]).unwrap();
    let good = encode_vendor_specific(MICROSOFT, ms::MPPE_SEND_KEY, &key)
        .unwrap()
        .value;
    for i in 0..good.len() {
        for bit in 0..8 {
            let mut data = good.clone();
            data[i] ^= 1 << bit;
            check(&data);
        }
    }
}
