//! RFC 6030's example documents and CSV in the forms operators have.

use super::pskc::{self, Protection};
use super::*;

fn figure(n: u32) -> Vec<u8> {
    let path = format!(
        "{}/tests/data/rfc6030/figure{n}.pskcxml",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(path).expect("test data")
}

fn seed(entry: &Entry) -> &Seed {
    match &entry.parsed {
        Parsed::Seed(seed) => seed,
        other => panic!("expected a seed, got {other:?}"),
    }
}

const RFC_SECRET: &[u8] = b"12345678901234567890";
const PSK: [u8; 16] = [
    0x12, 0x34, 0x56, 0x78, 0x90, 0x12, 0x34, 0x56, 0x78, 0x90, 0x12, 0x34, 0x56, 0x78, 0x90, 0x12,
];

#[test]
fn figure2_plain_key_uses_the_key_id_as_serial() {
    let entries = pskc::parse(&figure(2), &Protection::None).expect("parses");
    assert_eq!(entries.len(), 1);
    let s = seed(&entries[0]);
    assert_eq!(s.serial, "12345678");
    assert_eq!(s.secret, b"1234");
    assert_eq!((s.kind, s.digits, s.counter), (Kind::Hotp, 6, 0));
    assert_eq!(s.issuer.as_deref(), Some("Issuer-A"));
    assert!(
        !format!("{s:?}").contains("1234\""),
        "Debug hides the secret"
    );
}

#[test]
fn figure3_has_serial_digits_and_counter() {
    let entries = pskc::parse(&figure(3), &Protection::None).expect("parses");
    let s = seed(&entries[0]);
    assert_eq!((s.serial.as_str(), s.digits), ("987654321", 8));
    assert_eq!(s.secret, RFC_SECRET);
}

#[test]
fn figure4_without_secret_fails_that_key_and_says_why() {
    let entries = pskc::parse(&figure(4), &Protection::None).expect("parses");
    match &entries[0].parsed {
        Parsed::Failed(reason) => assert!(reason.contains("no secret"), "{reason}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(entries[0].serial.as_deref(), Some("987654321"));
}

#[test]
fn figure5_imports_the_otp_key_and_skips_the_pin_key() {
    let entries = pskc::parse(&figure(5), &Protection::None).expect("parses");
    assert_eq!(entries.len(), 2);
    assert_eq!(seed(&entries[0]).secret, RFC_SECRET);
    assert!(matches!(entries[1].parsed, Parsed::Skipped(_)));
}

#[test]
fn figure6_pre_shared_key_decrypts_after_the_mac_is_checked() {
    let entries = pskc::parse(&figure(6), &Protection::Key(PSK.to_vec())).expect("parses");
    let s = seed(&entries[0]);
    assert_eq!(s.secret, RFC_SECRET);
    assert_eq!(
        (s.serial.as_str(), s.digits, s.kind),
        ("987654321", 8, Kind::Hotp)
    );
}

#[test]
fn figure6_without_or_with_a_wrong_key_imports_nothing() {
    let err = pskc::parse(&figure(6), &Protection::None).expect_err("needs the key");
    assert!(matches!(err, ImportError::NeedKey { .. }), "{err}");
    assert!(err.to_string().contains("Pre-shared-key"), "{err}");
    let mut wrong = PSK;
    wrong[0] ^= 1;
    let err = pskc::parse(&figure(6), &Protection::Key(wrong.to_vec())).expect_err("wrong key");
    assert!(
        matches!(
            err,
            ImportError::WrongKey { .. } | ImportError::MacMismatch { .. }
        ),
        "{err}"
    );
    let err = pskc::parse(&figure(6), &Protection::Key(vec![1; 10])).expect_err("short key");
    assert!(err.to_string().contains("needs 16"), "{err}");
}

#[test]
fn figure6_with_an_altered_mac_imports_nothing() {
    let text = String::from_utf8(figure(6)).expect("utf8");
    let altered = text.replace(
        "Su+NvtQfmvfJzF6bmQiJqoLRExc=",
        "Su+MvtQfmvfJzF6bmQiJqoLRExc=",
    );
    let err = pskc::parse(altered.as_bytes(), &Protection::Key(PSK.to_vec())).expect_err("bad MAC");
    assert!(
        matches!(err, ImportError::MacMismatch { at: 1, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("nothing was imported"), "{err}");
}

#[test]
fn figure7_password_container_opens_with_qwerty_only() {
    let entries = pskc::parse(&figure(7), &Protection::Password("qwerty".into())).expect("parses");
    let s = seed(&entries[0]);
    assert_eq!(s.secret, RFC_SECRET);
    assert_eq!(s.issuer.as_deref(), Some("Example-Issuer"));
    let err = pskc::parse(&figure(7), &Protection::Password("qwertz".into())).expect_err("wrong");
    assert!(
        matches!(
            err,
            ImportError::WrongKey { secret: "password" } | ImportError::MacMismatch { .. }
        ),
        "{err}"
    );
    let err = pskc::parse(&figure(7), &Protection::None).expect_err("needs a password");
    assert!(err.to_string().contains("--password-file"), "{err}");
}

#[test]
fn hostile_xml_is_refused_without_expansion() {
    let entity = br#"<?xml version="1.0"?>
<!DOCTYPE KeyContainer [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<KeyContainer Version="1.0"><KeyPackage><Key Id="&x;"/></KeyPackage></KeyContainer>"#;
    assert_eq!(
        pskc::parse(entity, &Protection::None),
        Err(ImportError::Dtd)
    );
    let laughs = br#"<!DOCTYPE a [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]><a>&b;</a>"#;
    assert_eq!(
        pskc::parse(laughs, &Protection::None),
        Err(ImportError::Dtd)
    );
    let truncated = &figure(3)[..700];
    assert!(matches!(
        pskc::parse(truncated, &Protection::None),
        Err(ImportError::Xml(_))
    ));
    assert!(matches!(
        pskc::parse(b"<html/>", &Protection::None),
        Err(ImportError::NotPskc(_))
    ));
    assert!(matches!(
        pskc::parse(b"\xff\xfe<", &Protection::None),
        Err(ImportError::NotUtf8)
    ));
    let big = vec![b' '; MAX_FILE_BYTES + 1];
    assert!(matches!(
        pskc::parse(&big, &Protection::None),
        Err(ImportError::TooLarge { .. })
    ));
}

#[test]
fn csv_six_columns_with_header_hex_and_base32() {
    let text = "serial,secret,type,digits,period_or_counter,algorithm\n\
                A1,3132333435363738393031323334353637383930,totp,6,30,sha1\n\
                A2,GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ,HOTP,8,5,SHA256\n\
                \n# a comment\n\
                A3,\"hex:31 32 33 34 35 36 37 38 39 30\",totp,6,60,\n";
    let entries = csv::parse(text.as_bytes()).expect("parses");
    assert_eq!(entries.len(), 3);
    let (a1, a2, a3) = (seed(&entries[0]), seed(&entries[1]), seed(&entries[2]));
    assert_eq!(a1.secret, RFC_SECRET);
    assert_eq!(a2.secret, RFC_SECRET);
    assert_eq!(
        (a2.kind, a2.digits, a2.counter, a2.algorithm),
        (Kind::Hotp, 8, 5, Algorithm::Sha256)
    );
    assert_eq!(
        (a3.period, a3.algorithm, entries[2].at),
        (60, Algorithm::Sha1, 6)
    );
}

#[test]
fn csv_mfa_server_three_columns_are_totp() {
    let text = "1000001,3132333435363738393031323334353637383930,30\r\n1000002,GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ,60\r\n";
    let entries = csv::parse(text.as_bytes()).expect("parses");
    assert_eq!(entries.len(), 2);
    assert_eq!(
        (seed(&entries[1]).period, seed(&entries[1]).kind),
        (60, Kind::Totp)
    );
}

#[test]
fn csv_bad_lines_fail_alone_with_their_line_numbers() {
    let mut text = String::from("serial,secret,type,digits,period_or_counter,algorithm\n");
    text.push_str("B1,3132333435363738393031323334353637383930,totp,6,30,sha1\n");
    text.push_str("B2,not a secret!,totp,6,30,sha1\n");
    text.push_str("B3,3132333435363738393031323334353637383930,motp,6,30,sha1\n");
    text.push_str("B4,3132333435363738393031323334353637383930,totp,9,30,sha1\n");
    text.push_str("B5,3132333435363738393031323334353637383930,totp,6\n");
    let mut bytes = text.into_bytes();
    bytes.extend_from_slice(b"B\xe96,3132333435363738393031323334353637383930,totp,6,30,sha1\n");
    bytes.extend_from_slice(b"B7,3132333435363738393031323334353637383930,totp,6,45,md5\n");
    let entries = csv::parse(&bytes).expect("parses");
    assert_eq!(csv::seeds(&entries), 1);
    let failed: Vec<(usize, String)> = entries
        .iter()
        .filter_map(|e| match &e.parsed {
            Parsed::Failed(reason) => Some((e.at, reason.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        failed.iter().map(|f| f.0).collect::<Vec<_>>(),
        vec![3, 4, 5, 6, 7, 8]
    );
    assert!(failed[0].1.contains("neither hex"), "{:?}", failed[0]);
    assert!(failed[1].1.contains("motp"), "{:?}", failed[1]);
    assert!(failed[2].1.contains("9 digits"), "{:?}", failed[2]);
    assert!(failed[3].1.contains("4 columns"), "{:?}", failed[3]);
    assert!(failed[4].1.contains("UTF-8"), "{:?}", failed[4]);
    assert!(
        failed[5].1.contains("SHA1, SHA256 or SHA512"),
        "{:?}",
        failed[5]
    );
}

#[test]
fn csv_without_usable_header_or_lines_is_refused() {
    assert_eq!(csv::parse(b"\n# nothing\n"), Err(ImportError::Empty));
    assert!(matches!(csv::parse(b"a,b\n"), Err(ImportError::Header(_))));
    assert!(matches!(
        csv::parse(b"serial,digits\nX,6\n"),
        Err(ImportError::Header(_))
    ));
    assert!(looks_like_xml(b"\xef\xbb\xbf  <?xml"));
    assert!(!looks_like_xml(b"serial,secret"));
}
