use super::*;
use crate::testutil::{attestation_object, cbor_bytes, cbor_text, TestKey};

#[test]
fn reads_the_three_members_in_any_order() {
    let bytes = attestation_object("none", &[0xa0], b"auth");
    let object = AttestationObject::parse(&bytes).unwrap();
    assert_eq!(
        (object.fmt, object.att_stmt, object.auth_data),
        ("none", &[0xa0][..], &b"auth"[..])
    );
    let mut reordered = vec![0xa3];
    reordered.extend(cbor_text("authData"));
    reordered.extend(cbor_bytes(b"auth"));
    reordered.extend(cbor_text("attStmt"));
    reordered.push(0xa0);
    reordered.extend(cbor_text("fmt"));
    reordered.extend(cbor_text("none"));
    assert_eq!(AttestationObject::parse(&reordered), Ok(object));
}

#[test]
fn refuses_missing_repeated_and_trailing_members() {
    let good = attestation_object("none", &[0xa0], b"auth");
    let mut missing = good.clone();
    missing[0] = 0xa2;
    assert_eq!(
        AttestationObject::parse(&missing[..missing.len() - 14]),
        Err(invalid("no authData"))
    );
    let mut twice = good.clone();
    twice[0] = 0xa4;
    twice.extend(cbor_text("fmt"));
    twice.extend(cbor_text("none"));
    assert_eq!(
        AttestationObject::parse(&twice),
        Err(invalid("a member of the attestation object appears twice"))
    );
    let mut trailing = good.clone();
    trailing.push(0);
    assert_eq!(
        AttestationObject::parse(&trailing),
        Err(invalid("bytes follow the attestation object"))
    );
    let not_map = attestation_object("none", &[0x80], b"auth");
    assert_eq!(
        AttestationObject::parse(&not_map),
        Err(invalid("attStmt is not a map"))
    );
    for end in 0..good.len() {
        assert!(AttestationObject::parse(&good[..end]).is_err(), "{end}");
    }
}

fn packed(stmt: &[u8]) -> Result<Attestation, WebauthnError> {
    let key = TestKey::es256();
    let public = PublicKey::from_cose(&key.cose()).unwrap();
    let object = AttestationObject {
        fmt: "packed",
        att_stmt: stmt,
        auth_data: b"auth",
    };
    verify_statement(&object, &public, &[0; 32], AttestationPreference::Direct)
}

#[test]
fn refuses_malformed_packed_statements() {
    assert_eq!(packed(&[0xa0]), Err(invalid("packed attStmt has no alg")));
    let mut unknown = vec![0xa1];
    unknown.extend(cbor_text("ver"));
    unknown.push(0x01);
    assert_eq!(
        packed(&unknown),
        Err(invalid("packed attStmt has an unknown member"))
    );
    let mut no_certs = vec![0xa3];
    no_certs.extend(cbor_text("alg"));
    no_certs.push(0x26);
    no_certs.extend(cbor_text("sig"));
    no_certs.extend(cbor_bytes(b"sig"));
    no_certs.extend(cbor_text("x5c"));
    no_certs.push(0x80);
    assert_eq!(
        packed(&no_certs),
        Err(invalid("x5c holds no certificate or too many"))
    );
    let mut bad_cert = no_certs.clone();
    *bad_cert.last_mut().unwrap() = 0x81;
    bad_cert.extend(cbor_bytes(b"not a certificate"));
    assert_eq!(
        packed(&bad_cert),
        Err(invalid(
            "the attestation certificate is not a valid X.509 certificate"
        ))
    );
}

#[test]
fn self_attestation_must_use_the_credential_algorithm() {
    let mut stmt = vec![0xa2];
    stmt.extend(cbor_text("alg"));
    stmt.push(0x27); // -8, but the credential key is ES256
    stmt.extend(cbor_text("sig"));
    stmt.extend(cbor_bytes(b"sig"));
    assert_eq!(
        packed(&stmt),
        Err(invalid(
            "self attestation names another algorithm than the credential key"
        ))
    );
}

#[test]
fn unknown_formats_depend_on_what_was_asked() {
    let key = PublicKey::EdDsa { x: [1; 32] };
    let object = AttestationObject {
        fmt: "android-key",
        att_stmt: &[0xa0],
        auth_data: b"",
    };
    assert_eq!(
        verify_statement(&object, &key, &[], AttestationPreference::None),
        Ok(Attestation::Unverified {
            format: "android-key".into()
        })
    );
    assert_eq!(
        verify_statement(&object, &key, &[], AttestationPreference::Direct),
        Err(WebauthnError::UnsupportedAttestationFormat(
            "android-key".into()
        ))
    );
    let none_with_stmt = AttestationObject {
        fmt: "none",
        att_stmt: &[0xa1, 0x01, 0x01],
        auth_data: b"",
    };
    assert_eq!(
        verify_statement(&none_with_stmt, &key, &[], AttestationPreference::None),
        Err(invalid("a none attestation carries a statement"))
    );
}
