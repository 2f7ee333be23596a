//! RFC 4648 base32 (alphabet `A-Z2-7`), the encoding of OATH secrets in
//! otpauth:// URIs and on setup screens.
//!
//! Encoding is canonical: uppercase, no padding. Decoding is lenient in the
//! ways people and authenticator apps are: any case, spaces and '-' ignored
//! (secrets are often shown in groups), optional trailing '=' padding, and
//! unused trailing bits ignored (as Google Authenticator does). The bits
//! are the `data-encoding` crate's; the checks and messages are ours.

pub use crate::error::Base32Error;

use std::sync::OnceLock;

use data_encoding::{Encoding, BASE32_NOPAD};

/// Encodes `bytes` as uppercase base32 without padding.
pub fn encode(bytes: &[u8]) -> String {
    BASE32_NOPAD.encode(bytes)
}

/// RFC 4648 base32 as people type it: any case, ' ' and '-' ignored,
/// unused trailing bits ignored. Padding is handled before it.
fn lenient() -> &'static Encoding {
    static LENIENT: OnceLock<Encoding> = OnceLock::new();
    LENIENT.get_or_init(|| {
        let mut spec = BASE32_NOPAD.specification();
        spec.translate.from = "abcdefghijklmnopqrstuvwxyz".into();
        spec.translate.to = "ABCDEFGHIJKLMNOPQRSTUVWXYZ".into();
        spec.ignore = " -".into();
        spec.check_trailing_bits = false;
        // A fixed, valid specification: building it cannot fail.
        spec.encoding()
            .unwrap_or_else(|_| unreachable!("the lenient base32 specification is valid"))
    })
}

/// Decodes base32 text into bytes.
///
/// Accepts any case, ignores ASCII spaces and '-', and accepts trailing '='
/// padding. Rejects empty input, other characters (the error names the
/// character and its 1-based position), data after padding, and lengths no
/// base32 encoder can produce (1, 3 or 6 symbols in the last group of 8).
pub fn decode(s: &str) -> Result<Vec<u8>, Base32Error> {
    let mut symbols = 0;
    let mut padding_at = None;
    for (index, ch) in s.chars().enumerate() {
        let position = index + 1;
        match ch {
            ' ' | '-' => {}
            '=' => {
                padding_at.get_or_insert(position);
            }
            c if c.is_ascii_alphabetic() || ('2'..='7').contains(&c) => {
                if let Some(position) = padding_at {
                    return Err(Base32Error::MisplacedPadding { position });
                }
                symbols += 1;
            }
            ch => return Err(Base32Error::InvalidChar { ch, position }),
        }
    }
    if symbols == 0 {
        return Err(Base32Error::Empty);
    }
    if matches!(symbols % 8, 1 | 3 | 6) {
        return Err(Base32Error::InvalidLength { len: symbols });
    }
    let data = s.trim_end_matches(['=', ' ', '-']);
    lenient()
        .decode(data.as_bytes())
        .map_err(|_| Base32Error::InvalidLength { len: symbols })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 4648 section 10, with the padding removed for `encode`.
    const VECTORS: [(&str, &str); 7] = [
        ("", ""),
        ("f", "MY======"),
        ("fo", "MZXQ===="),
        ("foo", "MZXW6==="),
        ("foob", "MZXW6YQ="),
        ("fooba", "MZXW6YTB"),
        ("foobar", "MZXW6YTBOI======"),
    ];

    #[test]
    fn encodes_rfc4648_vectors_without_padding() {
        for (plain, encoded) in VECTORS {
            assert_eq!(
                encode(plain.as_bytes()),
                encoded.trim_end_matches('='),
                "{plain:?}"
            );
        }
    }

    #[test]
    fn decodes_rfc4648_vectors_with_and_without_padding() {
        for (plain, encoded) in VECTORS.into_iter().skip(1) {
            assert_eq!(
                decode(encoded).as_deref(),
                Ok(plain.as_bytes()),
                "{encoded}"
            );
            let bare = encoded.trim_end_matches('=');
            assert_eq!(decode(bare).as_deref(), Ok(plain.as_bytes()), "{bare}");
        }
    }

    #[test]
    fn round_trips_every_length_and_byte_value() {
        for len in 0..=70usize {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 37 + len * 11) as u8).collect();
            let text = encode(&bytes);
            assert!(!text.contains('='));
            if len > 0 {
                assert_eq!(decode(&text), Ok(bytes.clone()), "len {len}");
                assert_eq!(decode(&text.to_lowercase()), Ok(bytes), "len {len}");
            }
        }
        let all: Vec<u8> = (0..=255).collect();
        assert_eq!(decode(&encode(&all)), Ok(all));
    }

    #[test]
    fn ignores_case_spaces_and_dashes() {
        let expected = decode("JBSWY3DPEHPK3PXP").expect("valid");
        assert_eq!(decode("jbsw y3dp-ehpk 3pxp"), Ok(expected.clone()));
        assert_eq!(decode("  JBSW-Y3DP-EHPK-3PXP  "), Ok(expected));
    }

    #[test]
    fn is_lenient_about_trailing_bits() {
        // Two symbols carry one byte ('f' = 01100 110) and 2 spare bits:
        // "MY" leaves them 00, "MZ" and "M3" set them to 01 and 11.
        assert_eq!(decode("MY"), Ok(b"f".to_vec()));
        assert_eq!(decode("MZ"), Ok(b"f".to_vec()));
        assert_eq!(decode("M3"), Ok(b"f".to_vec()));
    }

    #[test]
    fn rejects_empty_input() {
        assert_eq!(decode(""), Err(Base32Error::Empty));
        assert_eq!(decode(" - "), Err(Base32Error::Empty));
        assert_eq!(decode("===="), Err(Base32Error::Empty));
    }

    #[test]
    fn rejects_bad_characters_with_position() {
        let err = decode("JBSW1").expect_err("'1' is not base32");
        assert_eq!(
            err,
            Base32Error::InvalidChar {
                ch: '1',
                position: 5
            }
        );
        let message = err.to_string();
        assert!(message.contains("'1' at position 5"), "{message}");
        assert!(message.contains("A-Z2-7"), "{message}");
        assert_eq!(
            decode("AB é"),
            Err(Base32Error::InvalidChar {
                ch: 'é',
                position: 4
            })
        );
    }

    #[test]
    fn rejects_impossible_lengths() {
        for len in [1usize, 3, 6, 9, 11, 14] {
            let text = "A".repeat(len);
            assert_eq!(
                decode(&text),
                Err(Base32Error::InvalidLength { len }),
                "len {len}"
            );
        }
        for len in [2usize, 4, 5, 7, 8, 10] {
            assert!(decode(&"A".repeat(len)).is_ok(), "len {len}");
        }
    }

    #[test]
    fn rejects_data_after_padding() {
        assert_eq!(
            decode("MY==MY"),
            Err(Base32Error::MisplacedPadding { position: 3 })
        );
    }
}
