use super::*;
use crate::testutil::{attested, auth_data, cose_ed25519, AT, BE, BS, ED, RP_ID, UP, UV};

fn with_credential(flags: u8, id: &[u8]) -> Vec<u8> {
    auth_data(
        RP_ID,
        flags | AT,
        7,
        &attested([5; 16], id, &cose_ed25519(&[3; 32])),
    )
}

#[test]
fn reads_the_fixed_part() {
    let bytes = auth_data(RP_ID, UP | UV | BE | BS, 0x0102_0304, &[]);
    let auth = AuthenticatorData::parse(&bytes).unwrap();
    assert_eq!(&auth.rp_id_hash[..], &bytes[..32]);
    assert_eq!(auth.sign_count, 0x0102_0304);
    let f = auth.flags;
    assert!(f.user_present() && f.user_verified() && f.backup_eligible() && f.backup_state());
    assert!(!f.attested() && !f.extensions());
    assert_eq!((auth.attested, auth.extensions), (None, None));
}

#[test]
fn reads_the_attested_credential() {
    let bytes = with_credential(UP, b"credential-1");
    let auth = AuthenticatorData::parse(&bytes).unwrap();
    let cred = auth.attested.unwrap();
    assert_eq!(cred.aaguid, Aaguid([5; 16]));
    assert_eq!(cred.credential_id, b"credential-1");
    assert_eq!(cred.public_key, PublicKey::EdDsa { x: [3; 32] });
    assert_eq!(cred.public_key_bytes, cose_ed25519(&[3; 32]).as_slice());
}

#[test]
fn reads_extensions_after_the_credential() {
    let mut bytes = with_credential(UP | ED, b"id");
    let ext = [0xa1, 0x63, b'f', b'o', b'o', 0xf5]; // {"foo": true}
    bytes.extend_from_slice(&ext);
    let auth = AuthenticatorData::parse(&bytes).unwrap();
    assert_eq!(auth.extensions, Some(&ext[..]));
    assert!(auth.attested.is_some());
}

#[test]
fn refuses_data_shorter_than_37_bytes() {
    let bytes = auth_data(RP_ID, UP, 1, &[]);
    for end in 0..bytes.len() {
        assert_eq!(
            AuthenticatorData::parse(&bytes[..end]),
            Err(malformed("shorter than 37 bytes")),
            "{end}"
        );
    }
}

#[test]
fn refuses_bytes_the_flags_do_not_announce() {
    let bytes = auth_data(RP_ID, UP, 1, &[0xa0]);
    assert_eq!(
        AuthenticatorData::parse(&bytes),
        Err(malformed("bytes follow what the flags announce"))
    );
    let mut after_key = with_credential(UP, b"id");
    after_key.push(0);
    assert!(AuthenticatorData::parse(&after_key).is_err());
}

#[test]
fn refuses_announced_parts_that_are_missing() {
    assert!(AuthenticatorData::parse(&auth_data(RP_ID, UP | AT, 1, &[])).is_err());
    assert!(AuthenticatorData::parse(&auth_data(RP_ID, UP | ED, 1, &[])).is_err());
    let indefinite = auth_data(RP_ID, UP | ED, 1, &[0xbf, 0xff]);
    assert!(AuthenticatorData::parse(&indefinite).is_err());
    let good = with_credential(UP, b"id");
    for end in 37..good.len() {
        assert!(AuthenticatorData::parse(&good[..end]).is_err(), "{end}");
    }
}

#[test]
fn credential_id_length_is_bounded() {
    let long = vec![1u8; 1024];
    assert_eq!(
        AuthenticatorData::parse(&with_credential(UP, &long)),
        Err(WebauthnError::CredentialIdTooLong(1024))
    );
    assert!(AuthenticatorData::parse(&with_credential(UP, &long[..1023])).is_ok());
    assert_eq!(
        AuthenticatorData::parse(&with_credential(UP, &[])),
        Err(malformed("the credential id is empty"))
    );
}
