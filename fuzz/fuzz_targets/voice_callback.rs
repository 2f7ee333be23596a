//! The HTTP voice provider's callback forms: `form::parse` never panics and
//! keeps its limits; every field re-encodes and parses back to itself;
//! `gathered` gives only keypad keys (the terminator at the end, if any);
//! the signature check never panics and never accepts a header that is
//! not the signature of this URL and form.
#![no_main]

use countersign_voice::http::{form, signature};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(fields) = form::parse(data) else {
        assert!(data.len() > form::MAX_BODY || data.iter().filter(|&&b| b == b'&').count() >= form::MAX_FIELDS);
        return;
    };
    assert!(fields.len() <= form::MAX_FIELDS);
    let encoded: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields.iter())
        .finish();
    if encoded.len() <= form::MAX_BODY {
        assert_eq!(form::parse(encoded.as_bytes()).ok().as_deref(), Some(&fields[..]));
    }

    match form::gathered(&fields, '#', 16) {
        Ok(keys) | Err(keys) => {
            let body = keys.strip_suffix('#').unwrap_or(&keys);
            assert!(body.chars().all(|c| c.is_ascii_digit() || matches!(c, '*' | '#' | 'A'..='D')));
            assert!(keys.chars().count() <= 65);
        }
    }

    let url = "https://mfa.example/voice/v1/calls/00/gather";
    let good = signature::sign("token", url, &fields);
    assert!(signature::verify("token", url, &fields, Some(&good)));
    let header = String::from_utf8_lossy(data.get(..28).unwrap_or(data));
    if header != good {
        assert!(!signature::verify("token", url, &fields, Some(&header)));
    }
});
