use super::*;
use countersign_device_proto::nonce_well_formed;
use ring::signature::{UnparsedPublicKey, ECDSA_P256_SHA256_FIXED};

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
    assert_eq!(nonce.len(), 43);
    assert!(nonce_well_formed(&nonce));
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

    let nonce = get(HEADER_NONCE);
    let text = canonical_string("POST", req.path_and_query, "1700000123", &nonce, body);
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
