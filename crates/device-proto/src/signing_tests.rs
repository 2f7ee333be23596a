use super::*;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use ring::signature::{UnparsedPublicKey, ECDSA_P256_SHA256_FIXED};

/// The fixed vector of docs/device-api.md.
const TEXT: &str = "POST\n/device/v1/requests/txn_a/answer\n1700000000\nabcdefghijklmnop\n\
                    44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";

fn vector() -> String {
    canonical_string(
        "POST",
        "/device/v1/requests/txn_a/answer",
        "1700000000",
        "abcdefghijklmnop",
        b"{}",
    )
}

#[test]
fn canonical_string_fixed_vector() {
    assert_eq!(vector(), TEXT);
}

#[test]
fn parts_are_taken_as_they_travel() {
    // No normalising: the method, the percent-encoded path and query and
    // the timestamp's text are signed exactly as sent.
    let text = canonical_string("GET", "/device/v1/requests?a=%C3%A9&b", "0170", "n", b"");
    assert_eq!(
        text,
        "GET\n/device/v1/requests?a=%C3%A9&b\n0170\nn\n\
         e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    assert!(canonical_string("post", "/p", "1", "n", b"").starts_with("post\n"));
}

#[test]
fn body_hash_vectors() {
    assert_eq!(
        body_hash_hex(br#"{"answer":"deny"}"#),
        "85dafdd989097f15f2a410c04c5d41d3b3f4dc8cea48c601fbcbfb4b43342644"
    );
    // UTF-8 bytes, as the web app's TextEncoder gives them.
    assert_eq!(
        body_hash_hex("é".as_bytes()),
        "4a99557e4033c3539de2eb65472017cad5f9557f7a0625a09f1c3f6e2ba69c4c"
    );
}

#[test]
fn an_openssl_signature_of_the_vector_verifies() {
    // Made once with `openssl dgst -sha256 -sign` (a P-256 key of its own)
    // over TEXT, the DER signature re-encoded as r‖s.
    let public =
        "BLbiH0G6gGMW65xUXN5oGlt1/4JO9UVKOAMkhsFSjtjRKAjo1xxrrrfAd85tjurnoMrA1ItLN4fNUvZZmeeurJk=";
    let signature =
        "gCnmatQwlmxYuRHM9OWTiT/41Ob32kp1P1wdR/EHnNDuSiAUEAe6BK+RKnLymk8xJDGveWmcHqiXs/wLHmnPgQ==";
    let public = STANDARD.decode(public).expect("base64 key");
    let signature = STANDARD.decode(signature).expect("base64 signature");
    let key = UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, &public);
    key.verify(vector().as_bytes(), &signature)
        .expect("the vector's signature verifies");
    let other = canonical_string(
        "POST",
        "/device/v1/requests/txn_b/answer",
        "1700000000",
        "abcdefghijklmnop",
        b"{}",
    );
    assert!(key.verify(other.as_bytes(), &signature).is_err());
}

#[test]
fn nonce_rule() {
    assert!(nonce_well_formed("abcdefghijklmnop"));
    assert!(nonce_well_formed(&"A-_9".repeat(16)));
    assert!(!nonce_well_formed("abcdefghijklmno"), "15 characters");
    assert!(!nonce_well_formed(&"a".repeat(65)));
    assert!(!nonce_well_formed("abcdefghijklmnop="), "no padding");
    assert!(!nonce_well_formed("abcdefghijklmnopé"));
}

#[test]
fn clock_window_both_ways() {
    let now = 1_700_000_000;
    assert!(timestamp_fresh("1700000000", now));
    assert!(timestamp_fresh(" 1700000300 ", now));
    assert!(timestamp_fresh("1699999700", now));
    assert!(!timestamp_fresh("1700000301", now));
    assert!(!timestamp_fresh("1699999699", now));
    assert!(!timestamp_fresh("", now));
    assert!(!timestamp_fresh("17e8", now));
}

#[test]
fn extreme_timestamps_do_not_overflow() {
    let (min, max) = (i64::MIN.to_string(), i64::MAX.to_string());
    // Each of these distances overflows i64: refused, no panic, no wrap.
    assert!(!timestamp_fresh(&min, 1_700_000_000));
    assert!(!timestamp_fresh(&min, i64::MAX));
    assert!(!timestamp_fresh(&max, -1_700_000_000));
    assert!(!timestamp_fresh(&max, i64::MIN));
    assert!(!timestamp_fresh("-1", i64::MAX));
    // Far but representable.
    assert!(!timestamp_fresh(&max, 1_700_000_000));
    assert!(timestamp_fresh(&min, i64::MIN));
    assert!(!timestamp_fresh("99999999999999999999", 0), "beyond i64");
}
