use super::*;
use ring::signature::{UnparsedPublicKey, ECDSA_P256_SHA256_FIXED};

#[test]
fn canonical_string_has_the_five_lines() {
    let text = canonical_string(
        "post",
        "/device/v1/requests/r1/answer?x=1",
        1_700_000_000,
        "n0nce_n0nce-12345",
        b"",
    );
    assert_eq!(
        text,
        "POST\n/device/v1/requests/r1/answer?x=1\n1700000000\nn0nce_n0nce-12345\n\
         e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
}

#[test]
fn body_hash_vector() {
    assert_eq!(
        body_hash_hex(br#"{"answer":"deny"}"#),
        "85dafdd989097f15f2a410c04c5d41d3b3f4dc8cea48c601fbcbfb4b43342644"
    );
}

#[test]
fn public_key_is_a_65_byte_uncompressed_point() {
    let key = DeviceKey::generate().expect("generate");
    let raw = STANDARD.decode(key.public_key_base64()).expect("base64");
    assert_eq!(raw.len(), 65);
    assert_eq!(raw[0], 0x04);
}

#[test]
fn nonce_matches_the_contract() {
    let key = DeviceKey::generate().expect("generate");
    let nonce = key.nonce().expect("nonce");
    assert!((16..=64).contains(&nonce.len()));
    assert!(nonce
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'));
    assert_ne!(nonce, key.nonce().expect("nonce"));
}

#[test]
fn signed_request_verifies_with_the_public_key() {
    let key = DeviceKey::generate().expect("generate");
    let body = br#"{"answer":"approve","number":42}"#;
    let req = RequestToSign {
        method: "POST",
        path_and_query: "/device/v1/requests/txn_1/answer",
        timestamp: 1_700_000_123,
        body,
    };
    let headers = key.sign_request("dev_1", &req).expect("sign");
    let get = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.clone())
            .expect("header present")
    };
    assert_eq!(get(HEADER_DEVICE), "dev_1");
    assert_eq!(get(HEADER_TIMESTAMP), "1700000123");
    let signature = STANDARD.decode(get(HEADER_SIGNATURE)).expect("base64");
    assert_eq!(signature.len(), 64, "r||s, not DER");

    let text = canonical_string(
        "POST",
        req.path_and_query,
        req.timestamp,
        &get(HEADER_NONCE),
        body,
    );
    let public = STANDARD.decode(key.public_key_base64()).expect("base64");
    let verifier = UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, &public);
    verifier
        .verify(text.as_bytes(), &signature)
        .expect("the signature verifies");
    let tampered = text.replace("txn_1", "txn_2");
    assert!(verifier.verify(tampered.as_bytes(), &signature).is_err());
}

#[test]
fn key_survives_the_store_round_trip() {
    let key = DeviceKey::generate().expect("generate");
    let again = DeviceKey::from_pkcs8_base64(&key.pkcs8_base64()).expect("reload");
    assert_eq!(key.public_key_base64(), again.public_key_base64());
}

#[test]
fn damaged_key_is_explained() {
    let err = DeviceKey::from_pkcs8_base64("not base64!")
        .err()
        .expect("refused");
    assert!(err.to_string().contains("activate again"));
    let err = DeviceKey::from_pkcs8_base64("AAAA").err().expect("refused");
    assert!(err.to_string().contains("PKCS#8"));
}
