use super::*;
use crate::Base32Error;

const GOOGLE_SECRET: &[u8] = b"Hello!\xde\xad\xbe\xef"; // JBSWY3DPEHPK3PXP

fn parse(s: &str) -> KeyUri {
    KeyUri::parse(s).unwrap_or_else(|err| panic!("{s} should parse: {err}"))
}

fn parse_err(s: &str) -> UriError {
    match KeyUri::parse(s) {
        Ok(key) => panic!("{s} should be rejected, got {key:?}"),
        Err(err) => err,
    }
}

fn totp_key(issuer: Option<&str>, account: &str) -> KeyUri {
    KeyUri {
        kind: Kind::Totp,
        issuer: issuer.map(str::to_owned),
        account: account.to_owned(),
        secret: GOOGLE_SECRET.to_vec(),
        algorithm: Algorithm::Sha1,
        digits: 6,
        period: 30,
        counter: None,
    }
}

#[test]
fn parses_googles_example() {
    let key =
        parse("otpauth://totp/Example:alice@google.com?secret=JBSWY3DPEHPK3PXP&issuer=Example");
    assert_eq!(key, totp_key(Some("Example"), "alice@google.com"));
}

#[test]
fn parses_googles_full_example_with_spaces_in_issuer() {
    let key = parse(
        "otpauth://totp/ACME%20Co:john.doe@email.com?secret=HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ\
         &issuer=ACME%20Co&algorithm=SHA1&digits=6&period=30",
    );
    assert_eq!(key.issuer.as_deref(), Some("ACME Co"));
    assert_eq!(key.account, "john.doe@email.com");
    assert_eq!(key.secret.len(), 20);
}

#[test]
fn parses_hotp_with_counter() {
    let key = parse(
        "otpauth://hotp/Acme:bob?secret=JBSWY3DPEHPK3PXP&counter=42&digits=8&algorithm=sha256",
    );
    assert_eq!(key.kind, Kind::Hotp);
    assert_eq!(key.counter, Some(42));
    assert_eq!(key.digits, 8);
    assert_eq!(key.algorithm, Algorithm::Sha256);
    assert_eq!(key.period, DEFAULT_PERIOD);
}

#[test]
fn tolerates_what_real_apps_emit() {
    let expected = totp_key(Some("Example"), "alice@google.com");
    for uri in [
        "OTPAUTH://TOTP/Example:alice@google.com?secret=jbswy3dpehpk3pxp",
        "otpauth://totp/Example:%20alice@google.com?secret=JBSWY3DPEHPK3PXP",
        "otpauth://totp/Example: alice@google.com?secret=JBSW%20Y3DP%20EHPK%203PXP",
        "otpauth://totp/Example%3Aalice@google.com?secret=JBSWY3DPEHPK3PXP&issuer=Example",
        "otpauth://totp/alice@google.com?secret=JBSWY3DPEHPK3PXP&issuer=Example&image=https%3A%2F%2Fx",
        "otpauth://totp/Example:alice@google.com?SECRET=JBSWY3DPEHPK3PXP===&&",
        "  otpauth://totp/Example:alice@google.com?secret=JBSWY3DPEHPK3PXP#frag\n",
    ] {
        assert_eq!(parse(uri), expected, "{uri}");
    }
}

#[test]
fn form_encoded_issuer_agrees_with_label() {
    let key =
        parse("otpauth://totp/Big+Corp:bob+mfa@x.org?secret=JBSWY3DPEHPK3PXP&issuer=Big+Corp");
    assert_eq!(key.issuer.as_deref(), Some("Big Corp"));
    assert_eq!(key.account, "bob+mfa@x.org", "'+' in the label is literal");
}

#[test]
fn account_with_encoded_colon_and_no_issuer_keeps_it() {
    let key = parse("otpauth://totp/a%3Ab?secret=JBSWY3DPEHPK3PXP");
    assert_eq!((key.issuer, key.account.as_str()), (None, "a:b"));
}

#[test]
fn writes_the_canonical_uri() {
    let key = totp_key(Some("ACME Co"), "john:doe@example.com");
    assert_eq!(
        key.to_uri(),
        "otpauth://totp/ACME%20Co:john%3Adoe@example.com?secret=JBSWY3DPEHPK3PXP\
         &issuer=ACME%20Co&algorithm=SHA1&digits=6&period=30"
    );
    let hotp = KeyUri {
        kind: Kind::Hotp,
        issuer: None,
        counter: Some(7),
        ..key
    };
    assert_eq!(
        hotp.to_uri(),
        "otpauth://hotp/john%3Adoe@example.com?secret=JBSWY3DPEHPK3PXP\
         &algorithm=SHA1&digits=6&counter=7"
    );
}

#[test]
fn round_trips() {
    let tricky = [
        "ACME Co",
        "a:b",
        "50% off & more?",
        "Ünïcødé 中文",
        "x/y#z",
        "+plus+",
    ];
    for issuer in tricky.iter().map(|s| Some(*s)).chain([None]) {
        for account in tricky {
            for algorithm in [Algorithm::Sha1, Algorithm::Sha256, Algorithm::Sha512] {
                let totp = KeyUri {
                    algorithm,
                    digits: 8,
                    period: 60,
                    ..totp_key(issuer, account)
                };
                assert_eq!(parse(&totp.to_uri()), totp, "{}", totp.to_uri());
                let hotp = KeyUri {
                    kind: Kind::Hotp,
                    counter: Some(u64::MAX),
                    ..totp.clone()
                };
                let hotp = KeyUri {
                    period: DEFAULT_PERIOD,
                    ..hotp
                };
                assert_eq!(parse(&hotp.to_uri()), hotp, "{}", hotp.to_uri());
            }
        }
    }
}

#[test]
fn rejects_missing_secret() {
    let err = parse_err("otpauth://totp/Example:alice?issuer=Example");
    assert!(
        matches!(err, UriError::MissingParameter { name: "secret", .. }),
        "{err}"
    );
    assert!(err.to_string().contains("'secret'"));
}

#[test]
fn rejects_bad_base32_secret() {
    let err = parse_err("otpauth://totp/Example:alice?secret=JBSW1Y3DP");
    assert_eq!(
        err,
        UriError::InvalidSecret(Base32Error::InvalidChar {
            ch: '1',
            position: 5
        })
    );
    assert!(err.to_string().contains("'1' at position 5"), "{err}");
    let err = parse_err("otpauth://totp/Example:alice?secret=");
    assert_eq!(err, UriError::InvalidSecret(Base32Error::Empty));
}

#[test]
fn rejects_bad_digits_and_period() {
    for digits in ["5", "9", "", "six", "-6", "6.0", "99999999999"] {
        let err = parse_err(&format!(
            "otpauth://totp/a?secret=JBSWY3DPEHPK3PXP&digits={digits}"
        ));
        assert!(
            matches!(err, UriError::InvalidParameter { name: "digits", .. }),
            "{err}"
        );
    }
    for period in ["0", "301", "30s"] {
        let err = parse_err(&format!(
            "otpauth://totp/a?secret=JBSWY3DPEHPK3PXP&period={period}"
        ));
        assert!(
            matches!(err, UriError::InvalidParameter { name: "period", .. }),
            "{err}"
        );
        assert!(err.to_string().contains("from 1 to 300"), "{err}");
    }
}

#[test]
fn rejects_unknown_algorithm() {
    let err = parse_err("otpauth://totp/a?secret=JBSWY3DPEHPK3PXP&algorithm=MD5");
    assert!(
        matches!(
            err,
            UriError::InvalidParameter {
                name: "algorithm",
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn rejects_hotp_without_counter() {
    let err = parse_err("otpauth://hotp/Acme:bob?secret=JBSWY3DPEHPK3PXP");
    assert!(
        matches!(
            err,
            UriError::MissingParameter {
                name: "counter",
                ..
            }
        ),
        "{err}"
    );
    let err = parse_err("otpauth://hotp/Acme:bob?secret=JBSWY3DPEHPK3PXP&counter=-1");
    assert!(
        matches!(
            err,
            UriError::InvalidParameter {
                name: "counter",
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn rejects_issuer_mismatch() {
    let err = parse_err("otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP&issuer=Evil");
    assert_eq!(
        err,
        UriError::IssuerMismatch {
            label: "Example".into(),
            param: "Evil".into()
        }
    );
}

#[test]
fn rejects_other_schemes_and_types() {
    let err = parse_err("https://totp/Example:alice?secret=JBSWY3DPEHPK3PXP");
    assert_eq!(
        err,
        UriError::NotOtpauth {
            found: "https".into()
        }
    );
    assert_eq!(parse_err("JBSWY3DPEHPK3PXP"), UriError::NotAUri);
    assert_eq!(parse_err(""), UriError::NotAUri);
    let err = parse_err("otpauth://motp/Example:alice?secret=JBSWY3DPEHPK3PXP");
    assert_eq!(
        err,
        UriError::UnknownType {
            found: "motp".into()
        }
    );
}

#[test]
fn rejects_missing_account_and_bad_encoding() {
    for label in ["/", "/Acme:", "/Acme:%20", ""] {
        let uri = format!("otpauth://totp{label}?secret=JBSWY3DPEHPK3PXP&issuer=Acme");
        assert_eq!(parse_err(&uri), UriError::MissingAccount, "{uri}");
    }
    assert_eq!(
        parse_err("otpauth://totp/a%ZZ?secret=JBSWY3DPEHPK3PXP"),
        UriError::BadLabelEncoding
    );
    let err = parse_err("otpauth://totp/a?secret=JBSWY3DPEHPK3PXP&issuer=%FF");
    assert_eq!(err, UriError::BadParameterEncoding { name: "issuer" });
}

#[test]
fn rejects_duplicate_parameters() {
    let err = parse_err("otpauth://totp/a?secret=JBSWY3DPEHPK3PXP&secret=GEZDGNBV");
    assert_eq!(err, UriError::DuplicateParameter { name: "secret" });
}

#[test]
fn errors_quote_bounded_excerpts() {
    let long = "x".repeat(10_000);
    let err = parse_err(&format!(
        "otpauth://totp/a?secret=JBSWY3DPEHPK3PXP&algorithm={long}"
    ));
    assert!(err.to_string().len() < 200, "{err}");
}
