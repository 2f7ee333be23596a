use super::*;

const PIN: &str = "sha256/47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";

#[test]
fn parses_the_documented_link_with_percent_decoding() {
    let uri = "countersign://activate?url=https%3A%2F%2Fmfa.example.org%2F&code=4821093755120846\
               &pin=sha256%2F47DEQpj8HBSa%2B%2FTImW%2B5JCeuQeRkm5NMpJWZG3hSuFU%3D";
    let a = Activation::from_uri(uri).expect("valid link");
    assert_eq!(a.url.as_str(), "https://mfa.example.org/");
    assert_eq!(a.code, "4821093755120846");
    assert_eq!(a.pin.expect("pin").to_string(), PIN);
}

#[test]
fn link_without_pin_and_with_grouped_code() {
    let uri = "countersign://activate?url=https%3A%2F%2Fmfa.example.org%3A8443%2Fmfa&code=4821%200937+5512%200846";
    let a = Activation::from_uri(uri).expect("valid link");
    assert_eq!(a.url.as_str(), "https://mfa.example.org:8443/mfa/");
    assert_eq!(a.code, "4821093755120846");
    assert_eq!(a.pin, None);
}

#[test]
fn unencoded_plus_in_the_pin_survives() {
    let uri =
        format!("countersign://activate?url=https://m.example/&code=4821093755120846&pin={PIN}");
    let a = Activation::from_uri(&uri).expect("valid link");
    assert_eq!(a.pin.expect("pin").to_string(), PIN);
}

#[test]
fn missing_code_is_an_error() {
    let err = Activation::from_uri("countersign://activate?url=https%3A%2F%2Fm.example%2F")
        .expect_err("no code");
    assert!(matches!(err, ActivationError::Missing(_)));
    assert!(err.to_string().contains("activation code"), "{err}");
}

#[test]
fn missing_url_is_an_error() {
    let err =
        Activation::from_uri("countersign://activate?code=4821093755120846").expect_err("no url");
    assert!(err.to_string().contains("server url"), "{err}");
}

#[test]
fn other_links_are_refused() {
    for text in [
        "otpauth://totp/x?secret=AAAA",
        "https://mfa.example.org/?code=1",
        "countersign://other?url=x&code=1",
        "not a link",
    ] {
        let err = Activation::from_uri(text).expect_err(text);
        assert!(
            matches!(err, ActivationError::NotAnActivationUri(_)),
            "{text}: {err}"
        );
    }
}

#[test]
fn codes_are_checked() {
    assert_eq!(
        normalize_code("4821-0937-5512-0846").expect("ok"),
        "4821093755120846"
    );
    assert!(matches!(
        normalize_code("4821 0937 5512 084"),
        Err(ActivationError::CodeLength(15))
    ));
    assert!(matches!(
        normalize_code("4821 0937 5512 084x"),
        Err(ActivationError::CodeNotDigits(_))
    ));
    assert!(matches!(
        normalize_code("  "),
        Err(ActivationError::Missing(_))
    ));
}

#[test]
fn urls_are_checked() {
    assert_eq!(
        server_url("http://127.0.0.1:8080").expect("ok").as_str(),
        "http://127.0.0.1:8080/"
    );
    assert!(matches!(
        server_url("ftp://x/"),
        Err(ActivationError::BadScheme(_))
    ));
    assert!(matches!(
        server_url("mfa.example.org"),
        Err(ActivationError::BadUrl { .. })
    ));
}

#[test]
fn bad_pin_in_link_is_explained() {
    let err = Activation::from_uri(
        "countersign://activate?url=https%3A%2F%2Fm%2F&code=4821093755120846&pin=md5%2Fxx",
    )
    .expect_err("bad pin");
    assert!(err.to_string().contains("sha256/"), "{err}");
}
