//! Responses made by independent software authenticators (Python fido2 and
//! soft-webauthn; `vectors/generate.py` writes `vectors/vectors.json`), each
//! accepted or refused with the variant the vector names.

use std::collections::HashMap;

use countersign_webauthn::{
    Aaguid, Algorithm, Attestation, AttestationPreference, AuthenticationResponse, Challenge,
    Credential, Policy, RegistrationResponse, RelyingParty, UserVerification, WebauthnError,
};
use serde_json::Value;

const VECTORS: &str = include_str!("vectors/vectors.json");

fn b64(text: &str) -> Vec<u8> {
    countersign_webauthn::parse::base64url_decode(text, "vector").expect("vector base64url")
}

fn doc() -> Value {
    serde_json::from_str(VECTORS).expect("vectors.json is JSON")
}

fn party(doc: &Value, policy: &Value) -> RelyingParty {
    let mut p = Policy::default();
    if policy["user_verification"] == "preferred" {
        p.user_verification = UserVerification::Preferred;
    }
    if policy["attestation"] == "direct" {
        p.attestation = AttestationPreference::Direct;
    }
    if let Some(list) = policy["aaguid_allow_list"].as_array() {
        let parsed = list
            .iter()
            .map(|a| Aaguid::parse(a.as_str().unwrap()).unwrap());
        p.aaguid_allow_list = Some(parsed.collect());
    }
    let origins: Vec<String> = serde_json::from_value(doc["origins"].clone()).unwrap();
    RelyingParty::new(doc["rp_id"].as_str().unwrap(), "Countersign", &origins, p).unwrap()
}

fn challenge(v: &Value) -> Challenge {
    Challenge::from_bytes(&b64(v["challenge"].as_str().unwrap())).unwrap()
}

fn register(doc: &Value, case: &Value) -> Result<Credential, WebauthnError> {
    let json = serde_json::to_string(&case["response"]).unwrap();
    let response = RegistrationResponse::from_json(&json)?;
    party(doc, &case["policy"]).verify_registration(&response, &challenge(case))
}

/// The variant's name, as the vectors write it.
fn variant(err: &WebauthnError) -> String {
    let debug = format!("{err:?}");
    debug
        .split(|c: char| !c.is_alphanumeric())
        .next()
        .unwrap_or_default()
        .to_owned()
}

fn registered(doc: &Value) -> HashMap<String, Credential> {
    let mut out = HashMap::new();
    for case in doc["registrations"].as_array().unwrap() {
        if case["expect"] == "ok" {
            let credential = register(doc, case).unwrap();
            out.insert(case["name"].as_str().unwrap().to_owned(), credential);
        }
    }
    out
}

#[test]
fn registrations_are_accepted_or_refused_as_the_vectors_say() {
    let doc = doc();
    let cases = doc["registrations"].as_array().unwrap();
    assert!(cases.len() >= 20);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let outcome = register(&doc, case);
        match (case["expect"].as_str().unwrap(), &outcome) {
            ("ok", Ok(_)) => {}
            (want, Err(err)) if variant(err) == want => {
                assert!(!err.to_string().is_empty(), "{name}");
            }
            (want, got) => panic!("{name}: expected {want}, got {got:?}"),
        }
    }
}

#[test]
fn registered_credentials_carry_what_the_authenticator_said() {
    let doc = doc();
    let creds = registered(&doc);
    let es = &creds["es256_none"];
    assert_eq!(es.algorithm, Algorithm::Es256);
    assert_eq!(
        es.aaguid.to_string(),
        "ee882879-721c-4913-9775-3dfcce97072a"
    );
    assert_eq!(es.sign_count, 0);
    assert_eq!(es.transports, ["usb", "nfc"]);
    assert_eq!(es.discoverable, Some(true));
    assert!(es.user_verified && !es.backup_eligible && !es.backup_state);
    assert_eq!(es.attestation, Attestation::None);
    assert_eq!(creds["eddsa_none"].algorithm, Algorithm::EdDsa);
    assert_eq!(creds["rs256_none"].algorithm, Algorithm::Rs256);
    let synced = &creds["es256_synced_passkey"];
    assert!(synced.backup_eligible && synced.backup_state);
    assert_eq!(
        creds["es256_packed_self"].attestation,
        Attestation::SelfAttestation
    );
    assert_eq!(
        creds["eddsa_packed_self"].attestation,
        Attestation::SelfAttestation
    );
    assert!(
        matches!(&creds["es256_packed_x5c"].attestation, Attestation::Certified { chain } if chain.len() == 1)
    );
    let tpm = Attestation::Unverified {
        format: "tpm".into(),
    };
    assert_eq!(creds["tpm_when_none_asked"].attestation, tpm);
    assert!(!creds["uv_missing_but_preferred"].user_verified);
}

#[test]
fn assertions_are_accepted_or_refused_as_the_vectors_say() {
    let doc = doc();
    let creds = registered(&doc);
    let cases = doc["authentications"].as_array().unwrap();
    assert!(cases.len() >= 20);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let mut credential = creds[case["register"].as_str().unwrap()].clone();
        credential.sign_count = case["stored_sign_count"].as_u64().unwrap() as u32;
        let handle = case["expected_user_handle"].as_str().map(b64);
        let json = serde_json::to_string(&case["response"]).unwrap();
        let outcome = AuthenticationResponse::from_json(&json).and_then(|response| {
            party(&doc, &case["policy"]).verify_authentication(
                &response,
                &challenge(case),
                &credential,
                handle.as_deref(),
            )
        });
        match (case["expect"].as_str().unwrap(), &outcome) {
            ("ok", Ok(auth)) => assert_eq!(auth.credential_id, credential.id, "{name}"),
            (want, Err(err)) if variant(err) == want => {}
            (want, got) => panic!("{name}: expected {want}, got {got:?}"),
        }
    }
}

#[test]
fn a_cloned_credential_is_reported_with_both_counters() {
    let doc = doc();
    let creds = registered(&doc);
    let case = doc["authentications"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "counter_backwards")
        .unwrap();
    let mut credential = creds["es256_none"].clone();
    credential.sign_count = 42;
    let response = AuthenticationResponse::from_json(&case["response"].to_string()).unwrap();
    let err = party(&doc, &Value::Null)
        .verify_authentication(&response, &challenge(case), &credential, None)
        .unwrap_err();
    assert_eq!(
        err,
        WebauthnError::CounterWentBackwards {
            stored: 42,
            received: 41
        }
    );
    assert_eq!(err.code(), "credential_cloned");
}

#[test]
fn soft_webauthn_registers_and_signs_in_twice() {
    let doc = doc();
    let soft = &doc["soft_webauthn"];
    // soft-webauthn does not verify the user: user verification only preferred.
    let rp = party(&doc, &serde_json::json!({"user_verification": "preferred"}));
    let reg = &soft["registration"];
    let response = RegistrationResponse::from_json(&reg["response"].to_string()).unwrap();
    let mut credential = rp.verify_registration(&response, &challenge(reg)).unwrap();
    assert_eq!(credential.algorithm, Algorithm::Es256);
    assert!(credential.aaguid.is_zero());
    let handle = b64(soft["user_handle"].as_str().unwrap());
    for (i, step) in soft["assertions"].as_array().unwrap().iter().enumerate() {
        let response = AuthenticationResponse::from_json(&step["response"].to_string()).unwrap();
        assert_eq!(response.credential_id().unwrap(), credential.id);
        assert_eq!(
            response.user_handle().unwrap().as_deref(),
            Some(handle.as_slice())
        );
        let auth = rp
            .verify_authentication(&response, &challenge(step), &credential, Some(&handle))
            .unwrap();
        assert_eq!(auth.sign_count, i as u32 + 1);
        credential.sign_count = auth.sign_count;
    }
    // The first assertion again (a replay past the challenge check): the counter refuses it.
    let first = &soft["assertions"][0];
    let response = AuthenticationResponse::from_json(&first["response"].to_string()).unwrap();
    let err = rp
        .verify_authentication(&response, &challenge(first), &credential, Some(&handle))
        .unwrap_err();
    assert_eq!(
        err,
        WebauthnError::CounterWentBackwards {
            stored: 2,
            received: 1
        }
    );
    // And with user verification required (the default), it is refused for that.
    let strict = party(&doc, &Value::Null);
    let err = strict
        .verify_registration(&response_of(reg), &challenge(reg))
        .unwrap_err();
    assert_eq!(err, WebauthnError::UserVerificationMissing);
}

fn response_of(reg: &Value) -> RegistrationResponse {
    RegistrationResponse::from_json(&reg["response"].to_string()).unwrap()
}
