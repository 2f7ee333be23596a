use super::*;
use crate::rp::Policy;
use crate::types::{Aaguid, Algorithm, Attestation};
use serde_json::json;

fn rp() -> RelyingParty {
    RelyingParty::new(
        "example.com",
        "Example",
        &["https://example.com".into()],
        Policy::default(),
    )
    .unwrap()
}

fn credential(id: &[u8], transports: &[&str]) -> Credential {
    Credential {
        id: id.to_vec(),
        public_key: vec![],
        algorithm: Algorithm::Es256,
        aaguid: Aaguid::default(),
        sign_count: 0,
        transports: transports.iter().map(|t| t.to_string()).collect(),
        user_verified: true,
        backup_eligible: false,
        backup_state: false,
        discoverable: None,
        attestation: Attestation::None,
    }
}

#[test]
fn creation_options_are_the_json_the_browser_parses() {
    let user = User {
        handle: vec![1, 2, 3],
        name: "alice".into(),
        display_name: "Alice".into(),
    };
    let challenge = Challenge::from_bytes(&[0xff; 16]).unwrap();
    let options = rp()
        .creation_options(&user, &challenge, &[credential(b"\x01", &["usb"])])
        .unwrap();
    assert_eq!(
        serde_json::to_value(&options).unwrap(),
        json!({
            "rp": {"name": "Example", "id": "example.com"},
            "user": {"id": "AQID", "name": "alice", "displayName": "Alice"},
            "challenge": "_____________________w",
            "pubKeyCredParams": [
                {"type": "public-key", "alg": -7},
                {"type": "public-key", "alg": -8},
                {"type": "public-key", "alg": -257}
            ],
            "timeout": 300000,
            "excludeCredentials": [{"type": "public-key", "id": "AQ", "transports": ["usb"]}],
            "authenticatorSelection": {
                "residentKey": "preferred",
                "requireResidentKey": false,
                "userVerification": "required"
            },
            "attestation": "none",
            "extensions": {"credProps": true}
        })
    );
}

#[test]
fn request_options_are_the_json_the_browser_parses() {
    let challenge = Challenge::from_bytes(&[0; 16]).unwrap();
    let discoverable = rp().request_options(&challenge, &[]);
    assert_eq!(
        serde_json::to_value(&discoverable).unwrap(),
        json!({
            "challenge": "AAAAAAAAAAAAAAAAAAAAAA",
            "timeout": 300000,
            "rpId": "example.com",
            "allowCredentials": [],
            "userVerification": "required"
        })
    );
    let named = rp().request_options(&challenge, &[credential(b"\x02\x03", &[])]);
    assert_eq!(
        serde_json::to_value(&named.allow_credentials).unwrap(),
        json!([{"type": "public-key", "id": "AgM"}])
    );
}

#[test]
fn direct_attestation_and_required_resident_keys_are_asked_for() {
    let policy = Policy {
        attestation: crate::rp::AttestationPreference::Direct,
        resident_key: ResidentKey::Required,
        algorithms: vec![Algorithm::EdDsa],
        ..Policy::default()
    };
    let rp = rp().with_policy(policy).unwrap();
    let user = User {
        handle: vec![9; 64],
        name: "a".into(),
        display_name: "a".into(),
    };
    let challenge = Challenge::generate().unwrap();
    let json = serde_json::to_value(rp.creation_options(&user, &challenge, &[]).unwrap()).unwrap();
    assert_eq!(json["attestation"], "direct");
    assert_eq!(json["authenticatorSelection"]["requireResidentKey"], true);
    assert_eq!(
        json["pubKeyCredParams"],
        json!([{"type": "public-key", "alg": -8}])
    );
}

#[test]
fn user_handles_and_challenges_have_bounded_lengths() {
    let challenge = Challenge::generate().unwrap();
    assert_eq!(challenge.as_bytes().len(), 32);
    for len in [0, 65] {
        let user = User {
            handle: vec![1; len],
            name: "a".into(),
            display_name: "a".into(),
        };
        assert_eq!(
            rp().creation_options(&user, &challenge, &[]),
            Err(WebauthnError::InvalidUserHandle(len))
        );
    }
    assert_eq!(
        Challenge::from_bytes(&[1; 15]),
        Err(WebauthnError::InvalidChallenge(15))
    );
    assert_eq!(
        Challenge::from_bytes(&[1; 65]),
        Err(WebauthnError::InvalidChallenge(65))
    );
}
