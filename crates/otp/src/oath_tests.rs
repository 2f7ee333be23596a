use super::*;

const RFC4226_SECRET: &[u8] = b"12345678901234567890";

/// RFC 4226 Appendix D: HOTP values for counters 0..=9.
const RFC4226_CODES: [&str; 10] = [
    "755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871",
    "520489",
];

#[test]
fn hotp_matches_rfc4226_appendix_d() {
    for (counter, expected) in RFC4226_CODES.iter().enumerate() {
        let code = hotp(RFC4226_SECRET, counter as u64, 6, Algorithm::Sha1);
        assert_eq!(&code, expected, "counter {counter}");
    }
}

/// RFC 6238 Appendix B: seeds are the ASCII digits repeated to the hash size.
fn rfc6238_seed(algorithm: Algorithm) -> Vec<u8> {
    let len = match algorithm {
        Algorithm::Sha1 => 20,
        Algorithm::Sha256 => 32,
        Algorithm::Sha512 => 64,
    };
    b"1234567890".iter().copied().cycle().take(len).collect()
}

/// RFC 6238 Appendix B: (time, SHA1, SHA256, SHA512), 8 digits, 30 s steps.
const RFC6238_CODES: [(u64, &str, &str, &str); 6] = [
    (59, "94287082", "46119246", "90693936"),
    (1111111109, "07081804", "68084774", "25091201"),
    (1111111111, "14050471", "67062674", "99943326"),
    (1234567890, "89005924", "91819424", "93441116"),
    (2000000000, "69279037", "90698825", "38618901"),
    (20000000000, "65353130", "77737706", "47863826"),
];

#[test]
fn totp_matches_rfc6238_appendix_b() {
    for (time, sha1, sha256, sha512) in RFC6238_CODES {
        for (algorithm, expected) in [
            (Algorithm::Sha1, sha1),
            (Algorithm::Sha256, sha256),
            (Algorithm::Sha512, sha512),
        ] {
            let code = totp(&rfc6238_seed(algorithm), time, 30, 8, algorithm);
            assert_eq!(code, expected, "{algorithm} at {time}");
        }
    }
}

#[test]
fn totp_step_floors_and_never_divides_by_zero() {
    assert_eq!(totp_step(0, 30), 0);
    assert_eq!(totp_step(29, 30), 0);
    assert_eq!(totp_step(30, 30), 1);
    assert_eq!(totp_step(1111111109, 30), 0x023523EC);
    assert_eq!(totp_step(119, 60), 1);
    assert_eq!(totp_step(12345, 0), 12345);
    assert_eq!(totp_step(u64::MAX, 1), u64::MAX);
}

#[test]
fn codes_are_zero_padded_to_the_requested_digits() {
    // Counter 1 gives 287082 at 6 digits; at 8 digits RFC 6238 shows 94287082.
    assert_eq!(hotp(RFC4226_SECRET, 1, 8, Algorithm::Sha1), "94287082");
    assert_eq!(hotp(RFC4226_SECRET, 1, 7, Algorithm::Sha1), "4287082");
    assert_eq!(hotp(RFC4226_SECRET, 1, 10, Algorithm::Sha1), "1094287082");
    // 07081804 at 8 digits keeps its leading zero.
    let seed = rfc6238_seed(Algorithm::Sha1);
    assert_eq!(totp(&seed, 1111111109, 30, 8, Algorithm::Sha1), "07081804");
}

#[test]
fn out_of_range_digits_are_clamped() {
    assert_eq!(hotp(RFC4226_SECRET, 1, 0, Algorithm::Sha1).len(), 1);
    assert_eq!(hotp(RFC4226_SECRET, 1, 11, Algorithm::Sha1), "1094287082");
    assert_eq!(hotp(RFC4226_SECRET, 1, u32::MAX, Algorithm::Sha1).len(), 10);
}

#[test]
fn any_secret_length_works() {
    for len in [0usize, 1, 19, 20, 64, 65, 128, 200] {
        let secret = vec![0xA5; len];
        for algorithm in [Algorithm::Sha1, Algorithm::Sha256, Algorithm::Sha512] {
            let code = hotp(&secret, u64::MAX, 6, algorithm);
            assert_eq!(code.len(), 6, "len {len} {algorithm}");
            assert!(code.bytes().all(|b| b.is_ascii_digit()));
        }
    }
}

#[test]
fn algorithms_give_different_codes() {
    let codes: Vec<String> = [Algorithm::Sha1, Algorithm::Sha256, Algorithm::Sha512]
        .into_iter()
        .map(|alg| hotp(RFC4226_SECRET, 0, 8, alg))
        .collect();
    assert_ne!(codes[0], codes[1]);
    assert_ne!(codes[1], codes[2]);
}

#[test]
fn code_matches_compares_exactly() {
    assert!(code_matches("755224", "755224"));
    assert!(!code_matches("755224", "755225"));
    assert!(!code_matches("755224", "75522"));
    assert!(!code_matches("755224", "7552240"));
    assert!(!code_matches("755224", ""));
    assert!(code_matches("", ""));
}

#[test]
fn generated_secrets_have_the_requested_length_and_differ() {
    let a = generate_secret(DEFAULT_SECRET_BYTES);
    let b = generate_secret(DEFAULT_SECRET_BYTES);
    assert_eq!(a.len(), 20);
    assert_ne!(a, b, "two 160-bit secrets from the OS RNG collided");
    assert!(generate_secret(0).is_empty());
    assert_eq!(generate_secret(64).len(), 64);
}
