//! WebAuthn assertion parsing and checking never panic: an
//! AuthenticationResponseJSON as text, and authenticator data + signature
//! checked against a stored credential.
#![no_main]

use countersign_webauthn::parse::{base64url_encode, PublicKey};
use countersign_webauthn::{
    Aaguid, Algorithm, AssertionResponseJson, Attestation, AuthenticationResponse, Challenge,
    ClientExtensionResultsJson, Credential, Policy, RelyingParty,
};
use libfuzzer_sys::fuzz_target;

const RP_ID: &str = "example.com";
const ORIGIN: &str = "https://login.example.com";
/// {"type":"webauthn.get","challenge":base64url([2; 32]),"origin":ORIGIN}
const CLIENT_DATA: &str = r#"{"type":"webauthn.get","challenge":"AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI","origin":"https://login.example.com"}"#;

/// A fixed ES256 credential (a point on P-256: the generator of the curve).
fn credential() -> Credential {
    let mut cose = vec![0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21, 0x58, 0x20];
    cose.extend_from_slice(&[
        0x6b, 0x17, 0xd1, 0xf2, 0xe1, 0x2c, 0x42, 0x47, 0xf8, 0xbc, 0xe6, 0xe5, 0x63, 0xa4, 0x40,
        0xf2, 0x77, 0x03, 0x7d, 0x81, 0x2d, 0xeb, 0x33, 0xa0, 0xf4, 0xa1, 0x39, 0x45, 0xd8, 0x98,
        0xc2, 0x96,
    ]);
    cose.extend_from_slice(&[0x22, 0x58, 0x20]);
    cose.extend_from_slice(&[
        0x4f, 0xe3, 0x42, 0xe2, 0xfe, 0x1a, 0x7f, 0x9b, 0x8e, 0xe7, 0xeb, 0x4a, 0x7c, 0x0f, 0x9e,
        0x16, 0x2b, 0xce, 0x33, 0x57, 0x6b, 0x31, 0x5e, 0xce, 0xcb, 0xb6, 0x40, 0x68, 0x37, 0xbf,
        0x51, 0xf5,
    ]);
    Credential {
        id: vec![7; 16],
        public_key: cose,
        algorithm: Algorithm::Es256,
        aaguid: Aaguid::default(),
        sign_count: 5,
        transports: vec![],
        user_verified: true,
        backup_eligible: false,
        backup_state: false,
        discoverable: None,
        attestation: Attestation::None,
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, input)) = data.split_first() else {
        return;
    };
    let rp = RelyingParty::new(RP_ID, "Fuzz", &[ORIGIN.to_owned()], Policy::default()).expect("valid RP");
    let challenge = Challenge::from_bytes(&[2; 32]).expect("32 bytes");
    let credential = credential();
    assert!(PublicKey::from_cose(&credential.public_key).is_ok());
    let response = if selector % 2 == 0 {
        // The whole response as JSON text.
        let Ok(response) = AuthenticationResponse::from_json(&String::from_utf8_lossy(input)) else {
            return;
        };
        let _ = response.user_handle();
        let _ = response.credential_id();
        response
    } else {
        // Authenticator data, then the signature after a split at the second byte's value.
        let split = usize::from(selector >> 1).min(input.len());
        let (auth, signature) = input.split_at(split);
        AuthenticationResponse {
            id: base64url_encode(&credential.id),
            raw_id: base64url_encode(&credential.id),
            response: AssertionResponseJson {
                client_data_json: base64url_encode(CLIENT_DATA.as_bytes()),
                authenticator_data: base64url_encode(auth),
                signature: base64url_encode(signature),
                user_handle: None,
            },
            authenticator_attachment: None,
            client_extension_results: ClientExtensionResultsJson::default(),
            kind: "public-key".into(),
        }
    };
    // No fuzzed input carries a valid signature by the fixed key.
    assert!(rp.verify_authentication(&response, &challenge, &credential, Some(&[1])).is_err());
});
