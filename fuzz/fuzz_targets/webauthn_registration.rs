//! WebAuthn registration parsers never panic: authenticator data, COSE keys,
//! client data JSON, and a whole registration around a fuzzed attestation object.
#![no_main]

use countersign_webauthn::parse::{
    base64url_encode, AttestationObject, AuthenticatorData, Ceremony, ClientData, PublicKey,
};
use countersign_webauthn::{
    AttestationPreference, AttestationResponseJson, Challenge, ClientExtensionResultsJson, Policy,
    RegistrationResponse, RelyingParty, UserVerification,
};
use libfuzzer_sys::fuzz_target;

const RP_ID: &str = "example.com";
const ORIGIN: &str = "https://login.example.com";
/// {"type":"webauthn.create","challenge":base64url([1; 32]),"origin":ORIGIN}
const CLIENT_DATA: &str = r#"{"type":"webauthn.create","challenge":"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE","origin":"https://login.example.com"}"#;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, input)) = data.split_first() else {
        return;
    };
    match selector % 4 {
        0 => authenticator_data(input),
        1 => cose_key(input),
        2 => client_data(input),
        _ => registration(input, selector & 0x80 != 0),
    }
});

fn authenticator_data(input: &[u8]) {
    if let Ok(auth) = AuthenticatorData::parse(input) {
        assert_eq!(auth.attested.is_some(), auth.flags.attested());
        assert_eq!(auth.extensions.is_some(), auth.flags.extensions());
        if let Some(cred) = auth.attested {
            assert!((1..=1023).contains(&cred.credential_id.len()));
            assert_eq!(PublicKey::from_cose(cred.public_key_bytes), Ok(cred.public_key));
        }
    }
}

fn cose_key(input: &[u8]) {
    if let Ok((key, used)) = PublicKey::parse_prefix(input) {
        assert!(used <= input.len());
        assert_eq!(PublicKey::from_cose(&input[..used]), Ok(key.clone()));
        let _ = key.validate();
        let _ = key.verify(b"message", input);
    }
}

fn client_data(input: &[u8]) {
    if let Ok(cd) = ClientData::parse(input) {
        let challenge = Challenge::from_bytes(&[1; 32]).expect("32 bytes");
        let origins = [ORIGIN.to_owned()];
        let _ = cd.check(Ceremony::Create, &challenge, &origins);
        let _ = cd.check(Ceremony::Get, &challenge, &origins);
    }
}

/// The fuzzed bytes as the attestation object of an otherwise right registration.
fn registration(object: &[u8], direct: bool) {
    let id = AttestationObject::parse(object)
        .ok()
        .and_then(|o| AuthenticatorData::parse(o.auth_data).ok())
        .and_then(|a| a.attested.map(|c| c.credential_id.to_vec()))
        .unwrap_or_else(|| vec![1]);
    let response = RegistrationResponse {
        id: base64url_encode(&id),
        raw_id: base64url_encode(&id),
        response: AttestationResponseJson {
            client_data_json: base64url_encode(CLIENT_DATA.as_bytes()),
            attestation_object: base64url_encode(object),
            transports: vec!["usb".into()],
            authenticator_data: None,
            public_key: None,
            public_key_algorithm: None,
        },
        authenticator_attachment: None,
        client_extension_results: ClientExtensionResultsJson::default(),
        kind: "public-key".into(),
    };
    let policy = Policy {
        user_verification: UserVerification::Preferred,
        attestation: if direct { AttestationPreference::Direct } else { AttestationPreference::None },
        ..Policy::default()
    };
    let rp = RelyingParty::new(RP_ID, "Fuzz", &[ORIGIN.to_owned()], policy).expect("valid RP");
    let challenge = Challenge::from_bytes(&[1; 32]).expect("32 bytes");
    if let Ok(cred) = rp.verify_registration(&response, &challenge) {
        assert_eq!(cred.id, id);
        let key = PublicKey::from_cose(&cred.public_key).expect("a stored key parses again");
        assert_eq!(key.algorithm(), cred.algorithm);
    }
}
