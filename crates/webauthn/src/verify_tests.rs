use super::*;
use crate::rp::Policy;
use crate::testutil::*;
use crate::types::{Aaguid, Attestation};

fn rp() -> RelyingParty {
    RelyingParty::new(RP_ID, "Example", &[ORIGIN.into()], Policy::default()).unwrap()
}

fn challenge(n: u8) -> Challenge {
    Challenge::from_bytes(&[n; 32]).unwrap()
}

/// A registration of `key` as credential `id`, answering challenge 1.
fn register(key: &TestKey, id: &[u8], flags: u8) -> Result<Credential, WebauthnError> {
    let auth = auth_data(RP_ID, flags | AT, 0, &attested([2; 16], id, &key.cose()));
    let cd = client_data("webauthn.create", &[1; 32], ORIGIN);
    let json = registration_json(id, &cd, &attestation_object("none", &[0xa0], &auth));
    rp().verify_registration(&RegistrationResponse::from_json(&json)?, &challenge(1))
}

fn sign_in(
    key: &TestKey,
    cred: &Credential,
    flags: u8,
    counter: u32,
) -> Result<Authentication, WebauthnError> {
    let auth = auth_data(RP_ID, flags, counter, &[]);
    let cd = client_data("webauthn.get", &[2; 32], ORIGIN);
    let json = assertion_json(key, &cred.id, &auth, &cd, Some(b"handle"));
    let response = AuthenticationResponse::from_json(&json)?;
    rp().verify_authentication(&response, &challenge(2), cred, Some(b"handle"))
}

#[test]
fn a_passkey_registers_and_signs_in() {
    for key in [TestKey::es256(), TestKey::ed25519()] {
        let cred = register(&key, b"cred-1", UP | UV | BE).unwrap();
        assert_eq!(cred.id, b"cred-1");
        assert_eq!(cred.public_key, key.cose());
        assert_eq!(cred.aaguid, Aaguid([2; 16]));
        assert_eq!(cred.transports, ["internal"]);
        assert_eq!(cred.discoverable, Some(true));
        assert_eq!(cred.attestation, Attestation::None);
        assert!(cred.backup_eligible && !cred.backup_state && cred.user_verified);
        let auth = sign_in(&key, &cred, UP | UV | BE | BS, 0).unwrap();
        assert_eq!(auth.credential_id, b"cred-1");
        assert_eq!(auth.sign_count, 0);
        assert!(auth.user_verified && auth.backup_state);
        assert_eq!(auth.user_handle.as_deref(), Some(&b"handle"[..]));
    }
}

#[test]
fn another_key_or_another_credential_is_refused() {
    let key = TestKey::es256();
    let cred = register(&key, b"cred-1", UP | UV).unwrap();
    assert_eq!(
        sign_in(&TestKey::es256(), &cred, UP | UV, 1),
        Err(WebauthnError::BadSignature)
    );
    let other = Credential {
        id: b"cred-2".to_vec(),
        ..cred.clone()
    };
    let auth = auth_data(RP_ID, UP | UV, 1, &[]);
    let cd = client_data("webauthn.get", &[2; 32], ORIGIN);
    let response =
        AuthenticationResponse::from_json(&assertion_json(&key, b"cred-1", &auth, &cd, None))
            .unwrap();
    assert_eq!(
        rp().verify_authentication(&response, &challenge(2), &other, None),
        Err(WebauthnError::CredentialIdMismatch)
    );
    let broken = Credential {
        public_key: vec![0xa0],
        ..cred
    };
    assert!(matches!(
        rp().verify_authentication(&response, &challenge(2), &broken, None),
        Err(WebauthnError::InvalidPublicKey(_))
    ));
}

#[test]
fn the_counter_must_grow_unless_both_are_zero() {
    for (stored, received, ok) in [
        (0, 0, true),
        (0, 1, true),
        (5, 6, true),
        (0, u32::MAX, true),
        (5, 5, false),
        (5, 4, false),
        (5, 0, false),
        (u32::MAX, u32::MAX, false),
    ] {
        let got = check_counter(stored, received);
        assert_eq!(got.is_ok(), ok, "{stored} -> {received}");
        if !ok {
            assert_eq!(
                got,
                Err(WebauthnError::CounterWentBackwards { stored, received })
            );
        }
    }
}

#[test]
fn preferred_user_verification_accepts_presence_alone() {
    let key = TestKey::es256();
    assert_eq!(
        register(&key, b"c", UP).unwrap_err(),
        WebauthnError::UserVerificationMissing
    );
    let policy = Policy {
        user_verification: crate::rp::UserVerification::Preferred,
        ..Policy::default()
    };
    let lenient = rp().with_policy(policy).unwrap();
    let auth = auth_data(RP_ID, UP | AT, 0, &attested([0; 16], b"c", &key.cose()));
    let cd = client_data("webauthn.create", &[1; 32], ORIGIN);
    let json = registration_json(b"c", &cd, &attestation_object("none", &[0xa0], &auth));
    let cred = lenient
        .verify_registration(
            &RegistrationResponse::from_json(&json).unwrap(),
            &challenge(1),
        )
        .unwrap();
    assert!(!cred.user_verified);
}

#[test]
fn transports_are_kept_only_when_plausible() {
    let long = "x".repeat(33);
    let reported: Vec<String> = ["usb", "", "NFC", "smart-card", long.as_str(), "hybrid"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(transports(&reported), ["usb", "smart-card", "hybrid"]);
    assert_eq!(
        transports(&vec!["usb".to_string(); 20]).len(),
        MAX_TRANSPORTS
    );
}

#[test]
fn no_truncation_or_bit_flip_of_a_registration_panics_or_passes() {
    let key = TestKey::ed25519();
    let auth = auth_data(
        RP_ID,
        UP | UV | AT,
        0,
        &attested([2; 16], b"id", &key.cose()),
    );
    let cd = client_data("webauthn.create", &[1; 32], ORIGIN);
    let object = attestation_object("none", &[0xa0], &auth);
    let verify = |object: &[u8]| {
        let json = registration_json(b"id", &cd, object);
        rp().verify_registration(
            &RegistrationResponse::from_json(&json).unwrap(),
            &challenge(1),
        )
    };
    assert!(verify(&object).is_ok());
    for end in 0..object.len() {
        assert!(verify(&object[..end]).is_err(), "truncated at {end}");
    }
    for i in 0..object.len() {
        for bit in 0..8 {
            let mut flipped = object.clone();
            flipped[i] ^= 1 << bit;
            let _ = verify(&flipped); // some flips are harmless (AAGUID, key bytes): only no panic
        }
    }
}

#[test]
fn no_truncation_or_bit_flip_of_an_assertion_passes() {
    let key = TestKey::es256();
    let cred = register(&key, b"cred", UP | UV).unwrap();
    let auth = auth_data(RP_ID, UP | UV, 9, &[]);
    let cd = client_data("webauthn.get", &[2; 32], ORIGIN);
    let json: serde_json::Value =
        serde_json::from_str(&assertion_json(&key, b"cred", &auth, &cd, None)).unwrap();
    let signature = b64::decode(json["response"]["signature"].as_str().unwrap(), "s").unwrap();
    let verify = |auth: &[u8], sig: &[u8]| {
        let mut j = json.clone();
        j["response"]["authenticatorData"] = b64::encode(auth).into();
        j["response"]["signature"] = b64::encode(sig).into();
        let response = AuthenticationResponse::from_json(&j.to_string()).unwrap();
        rp().verify_authentication(&response, &challenge(2), &cred, None)
    };
    assert!(verify(&auth, &signature).is_ok());
    for i in 0..auth.len() * 8 {
        let mut flipped = auth.clone();
        flipped[i / 8] ^= 1 << (i % 8);
        assert!(verify(&flipped, &signature).is_err(), "authData bit {i}");
    }
    for i in 0..signature.len() * 8 {
        let mut flipped = signature.clone();
        flipped[i / 8] ^= 1 << (i % 8);
        assert!(verify(&auth, &flipped).is_err(), "signature bit {i}");
    }
}
