use super::*;

fn challenge() -> Challenge {
    Challenge::from_bytes(&[7; 32]).unwrap()
}

fn origins() -> Vec<String> {
    vec![
        "https://example.com".into(),
        "https://login.example.com:8443".into(),
    ]
}

fn data(kind: &str, origin: &str) -> ClientData {
    ClientData {
        kind: kind.into(),
        challenge: b64::encode(&[7; 32]),
        origin: origin.into(),
        cross_origin: Some(false),
        top_origin: None,
    }
}

#[test]
fn accepts_the_expected_ceremony() {
    let ok = data("webauthn.get", "https://login.example.com:8443");
    assert_eq!(ok.check(Ceremony::Get, &challenge(), &origins()), Ok(()));
    let ok = data("webauthn.create", "https://example.com");
    assert_eq!(ok.check(Ceremony::Create, &challenge(), &origins()), Ok(()));
}

#[test]
fn refuses_the_other_ceremony_type() {
    let d = data("webauthn.create", "https://example.com");
    assert_eq!(
        d.check(Ceremony::Get, &challenge(), &origins()),
        Err(WebauthnError::WrongType {
            expected: "webauthn.get",
            found: "webauthn.create".into()
        })
    );
    let payment = data("payment.get", "https://example.com");
    assert!(matches!(
        payment.check(Ceremony::Get, &challenge(), &origins()),
        Err(WebauthnError::WrongType { .. })
    ));
}

#[test]
fn refuses_another_challenge() {
    let d = data("webauthn.get", "https://example.com");
    let other = Challenge::from_bytes(&[8; 32]).unwrap();
    assert_eq!(
        d.check(Ceremony::Get, &other, &origins()),
        Err(WebauthnError::ChallengeMismatch)
    );
    let mut junk = d.clone();
    junk.challenge = "not base64url!".into();
    assert!(matches!(
        junk.check(Ceremony::Get, &challenge(), &origins()),
        Err(WebauthnError::MalformedBase64 { .. })
    ));
}

#[test]
fn origins_match_exactly() {
    for origin in [
        "https://example.com/",
        "http://example.com",
        "https://example.com:443",
        "https://login.example.com",
        "https://evil.example.com",
        "https://example.com.evil.test",
        "HTTPS://EXAMPLE.COM",
    ] {
        let d = data("webauthn.get", origin);
        assert_eq!(
            d.check(Ceremony::Get, &challenge(), &origins()),
            Err(WebauthnError::WrongOrigin(origin.into())),
            "{origin}"
        );
    }
}

#[test]
fn refuses_cross_origin_frames() {
    let mut d = data("webauthn.get", "https://example.com");
    d.cross_origin = Some(true);
    assert_eq!(
        d.check(Ceremony::Get, &challenge(), &origins()),
        Err(WebauthnError::CrossOrigin(None))
    );
    d.cross_origin = None;
    d.top_origin = Some("https://evil.test".into());
    assert_eq!(
        d.check(Ceremony::Get, &challenge(), &origins()),
        Err(WebauthnError::CrossOrigin(Some("https://evil.test".into())))
    );
}

#[test]
fn parses_json_and_ignores_unknown_members() {
    let json = br#"{"type":"webauthn.get","challenge":"BwcH","origin":"https://example.com","other_keys_can_be_added_here":"x","tokenBinding":{"status":"supported"}}"#;
    let d = ClientData::parse(json).unwrap();
    assert_eq!((d.kind.as_str(), d.cross_origin), ("webauthn.get", None));
    for bad in [
        &b""[..],
        b"{}",
        b"[1]",
        b"{\"type\":1}",
        b"\xff\xfe",
        b"{\"type\":\"a\",\"challenge\":\"b\"",
    ] {
        assert!(matches!(
            ClientData::parse(bad),
            Err(WebauthnError::MalformedClientData(_))
        ));
    }
}
