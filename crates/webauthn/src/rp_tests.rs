use super::*;

fn origins(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

#[test]
fn accepts_origins_on_the_rp_id_and_its_subdomains() {
    let rp = RelyingParty::new(
        "example.com",
        "Example",
        &origins(&["https://example.com", "https://login.example.com:8443"]),
        Policy::default(),
    )
    .unwrap();
    assert_eq!(rp.id(), "example.com");
    let hash = digest::digest(&digest::SHA256, b"example.com");
    assert_eq!(&rp.id_hash[..], hash.as_ref());
    assert_eq!(rp.policy().user_verification, UserVerification::Required);
    assert_eq!(rp.policy().resident_key, ResidentKey::Preferred);
    assert_eq!(rp.policy().attestation, AttestationPreference::None);
}

#[test]
fn localhost_may_be_plain_http() {
    assert_eq!(check_origin("http://localhost:8080", "localhost"), Ok(()));
    assert_eq!(check_origin("http://app.localhost", "localhost"), Ok(()));
    assert_eq!(
        check_origin("http://example.com", "example.com"),
        Err(ConfigError::InsecureOrigin("http://example.com".into()))
    );
}

#[test]
fn refuses_origins_outside_the_rp_id() {
    for origin in [
        "https://evilexample.com",
        "https://example.com.evil.test",
        "https://com",
    ] {
        assert_eq!(
            check_origin(origin, "example.com"),
            Err(ConfigError::OriginOutsideRpId {
                origin: origin.into(),
                rp_id: "example.com".into()
            }),
            "{origin}"
        );
    }
}

#[test]
fn refuses_malformed_origins() {
    for origin in [
        "example.com",
        "https://example.com/",
        "https://example.com/login",
        "https://example.com:",
        "https://example.com:99999x",
        "https://Example.com",
        "ftp://example.com",
        "https://127.0.0.1",
        "https://user@example.com",
    ] {
        assert_eq!(
            check_origin(origin, "example.com"),
            Err(ConfigError::InvalidOrigin(origin.into())),
            "{origin}"
        );
    }
}

#[test]
fn refuses_bad_rp_ids_and_empty_lists() {
    for id in [
        "",
        "Example.com",
        "https://example.com",
        "example.com:443",
        "1.2.3.4",
        "-a.com",
        "a..com",
    ] {
        let err = RelyingParty::new(
            id,
            "x",
            &origins(&["https://example.com"]),
            Policy::default(),
        );
        assert_eq!(err, Err(ConfigError::InvalidRpId(id.into())), "{id}");
    }
    let none = RelyingParty::new("example.com", "x", &[], Policy::default());
    assert_eq!(none, Err(ConfigError::NoOrigins));
    let no_algs = Policy {
        algorithms: vec![],
        ..Policy::default()
    };
    let err = RelyingParty::new(
        "example.com",
        "x",
        &origins(&["https://example.com"]),
        no_algs,
    );
    assert_eq!(err, Err(ConfigError::NoAlgorithms));
}
