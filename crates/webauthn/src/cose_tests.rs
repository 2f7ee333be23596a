use super::*;
use crate::testutil::{cbor_bytes, cose_ed25519, cose_es256, TestKey};

fn es256_point() -> Vec<u8> {
    match TestKey::es256() {
        TestKey::Es256(k) => ring::signature::KeyPair::public_key(&k).as_ref().to_vec(),
        TestKey::Ed25519(_) => unreachable!(),
    }
}

#[test]
fn reads_es256_and_says_how_many_bytes_it_took() {
    let point = es256_point();
    let mut bytes = cose_es256(&point);
    let len = bytes.len();
    bytes.extend_from_slice(&[0xa0]); // something after the key
    let (key, used) = PublicKey::parse_prefix(&bytes).unwrap();
    assert_eq!(used, len);
    assert_eq!(key.algorithm(), Algorithm::Es256);
    assert_eq!(
        key,
        PublicKey::Es256 {
            point: point.clone().try_into().unwrap()
        }
    );
    assert!(key.validate().is_ok());
    assert_eq!(
        PublicKey::from_cose(&bytes),
        Err(bad("bytes follow the COSE key"))
    );
    assert!(PublicKey::from_cose(&bytes[..len]).is_ok());
}

#[test]
fn reads_ed25519_and_rsa() {
    let key = PublicKey::from_cose(&cose_ed25519(&[7; 32])).unwrap();
    assert_eq!(key, PublicKey::EdDsa { x: [7; 32] });
    // {1: 3, 3: -257, -1: n, -2: e} with a leading zero on n.
    let mut n = vec![0u8];
    n.extend(std::iter::repeat_n(0xc5, 256));
    let mut rsa = vec![0xa4, 0x01, 0x03, 0x03, 0x39, 0x01, 0x00, 0x20];
    rsa.extend(cbor_bytes(&n));
    rsa.push(0x21);
    rsa.extend(cbor_bytes(&[1, 0, 1]));
    let key = PublicKey::from_cose(&rsa).unwrap();
    assert_eq!(key.algorithm(), Algorithm::Rs256);
    assert!(key.validate().is_ok(), "2048-bit odd modulus, e = 65537");
}

#[test]
fn signatures_verify_only_over_what_was_signed() {
    for key in [TestKey::es256(), TestKey::ed25519()] {
        let public = PublicKey::from_cose(&key.cose()).unwrap();
        let sig = key.sign(b"message");
        assert_eq!(public.verify(b"message", &sig), Ok(()));
        assert_eq!(
            public.verify(b"messagE", &sig),
            Err(WebauthnError::BadSignature)
        );
        assert_eq!(
            public.verify(b"message", &[]),
            Err(WebauthnError::BadSignature)
        );
    }
}

#[test]
fn unknown_and_mismatched_algorithms_are_refused() {
    // ES384 (-35): {1: 2, 3: -35, ...}
    let mut es384 = cose_es256(&es256_point());
    es384[4] = 0x38;
    es384.insert(5, 0x22);
    assert_eq!(
        PublicKey::from_cose(&es384),
        Err(WebauthnError::UnsupportedAlgorithm(-35))
    );
    // kty OKP with alg ES256.
    let mut wrong_kty = cose_es256(&es256_point());
    wrong_kty[2] = 0x01;
    assert_eq!(
        PublicKey::from_cose(&wrong_kty),
        Err(bad("the key type (kty) does not match the algorithm"))
    );
    // No alg at all: {1: 1, -1: 6, -2: x}.
    let mut no_alg = vec![0xa3, 0x01, 0x01, 0x20, 0x06, 0x21];
    no_alg.extend(cbor_bytes(&[1; 32]));
    assert_eq!(
        PublicKey::from_cose(&no_alg),
        Err(bad("the COSE key names no integer algorithm (alg)"))
    );
}

#[test]
fn malformed_keys_are_refused() {
    let good = cose_es256(&es256_point());
    let mut wrong_curve = good.clone();
    wrong_curve[6] = 0x02; // crv P-384
    assert!(matches!(
        PublicKey::from_cose(&wrong_curve),
        Err(WebauthnError::InvalidPublicKey(_))
    ));
    let mut short_ed = cose_ed25519(&[1; 32]);
    short_ed[9] = 0x21; // 33 bytes: more than there are
    assert!(PublicKey::from_cose(&short_ed).is_err());
    let duplicate = [0xa2, 0x01, 0x02, 0x01, 0x02];
    assert_eq!(
        PublicKey::from_cose(&duplicate),
        Err(bad("a COSE key label appears twice"))
    );
    let indefinite = [0xbf, 0x01, 0x02, 0xff];
    assert!(matches!(
        PublicKey::from_cose(&indefinite),
        Err(WebauthnError::InvalidPublicKey(_))
    ));
    assert!(matches!(
        PublicKey::from_cose(&[0x80]),
        Err(WebauthnError::MalformedCbor { .. })
    ));
    assert!(PublicKey::from_cose(&[]).is_err());
}

#[test]
fn text_labels_and_unknown_labels_are_skipped() {
    let mut with_extra = cose_ed25519(&[9; 32]);
    with_extra[0] = 0xa6;
    with_extra.extend_from_slice(&[0x61, b'z', 0x80, 0x04, 0x81, 0x01]); // "z": [], 4: [1]
    assert_eq!(
        PublicKey::from_cose(&with_extra),
        Ok(PublicKey::EdDsa { x: [9; 32] })
    );
}

#[test]
fn every_prefix_of_a_key_is_refused_without_panic() {
    let good = cose_es256(&es256_point());
    for end in 0..good.len() {
        assert!(PublicKey::from_cose(&good[..end]).is_err(), "prefix {end}");
    }
}

#[test]
fn points_off_the_curve_are_refused_at_validation() {
    let mut point = es256_point();
    point[64] ^= 1;
    let key = PublicKey::from_cose(&cose_es256(&point)).unwrap();
    assert_eq!(
        key.validate(),
        Err(bad("the ES256 key is not a point on P-256"))
    );
}

#[test]
fn weak_rsa_keys_are_refused_at_validation() {
    let small = PublicKey::Rs256 {
        n: vec![0xc5; 128],
        e: vec![1, 0, 1],
    };
    assert_eq!(
        small.validate(),
        Err(bad("the RSA modulus is not 2048 to 8192 bits"))
    );
    let even = PublicKey::Rs256 {
        n: vec![0xc4; 256],
        e: vec![1, 0, 1],
    };
    assert_eq!(even.validate(), Err(bad("the RSA modulus is even")));
    let e_even = PublicKey::Rs256 {
        n: vec![0xc5; 256],
        e: vec![2],
    };
    assert!(e_even.validate().is_err());
    let e_long = PublicKey::Rs256 {
        n: vec![0xc5; 256],
        e: vec![1; 6],
    };
    assert!(e_long.validate().is_err());
    let empty = PublicKey::Rs256 {
        n: vec![],
        e: vec![],
    };
    assert!(empty.validate().is_err());
}
