//! RFC 4648 base32 (alphabet `A-Z2-7`), the encoding of OATH secrets in
//! otpauth:// URIs and on setup screens.
//!
//! Encoding is canonical: uppercase, no padding. Decoding is lenient in the
//! ways people and authenticator apps are: any case, spaces and '-' ignored
//! (secrets are often shown in groups), optional trailing '=' padding, and
//! unused trailing bits ignored (as Google Authenticator does).

pub use crate::error::Base32Error;

const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// Encodes `bytes` as uppercase base32 without padding.
pub fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let mut buffer: u16 = 0;
    let mut bits: u32 = 0;
    for &byte in bytes {
        buffer = (buffer << 8) | u16::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(symbol(buffer >> bits));
        }
        buffer &= (1 << bits) - 1;
    }
    if bits > 0 {
        out.push(symbol(buffer << (5 - bits)));
    }
    out
}

fn symbol(index: u16) -> char {
    char::from(ALPHABET[usize::from(index & 0x1f)])
}

/// Decodes base32 text into bytes.
///
/// Accepts any case, ignores ASCII spaces and '-', and accepts trailing '='
/// padding. Rejects empty input, other characters (the error names the
/// character and its 1-based position), data after padding, and lengths no
/// base32 encoder can produce (1, 3 or 6 symbols in the last group of 8).
pub fn decode(s: &str) -> Result<Vec<u8>, Base32Error> {
    let symbols = symbols(s)?;
    if symbols.is_empty() {
        return Err(Base32Error::Empty);
    }
    if matches!(symbols.len() % 8, 1 | 3 | 6) {
        return Err(Base32Error::InvalidLength { len: symbols.len() });
    }
    let mut out = Vec::with_capacity(symbols.len() * 5 / 8);
    let mut buffer: u16 = 0;
    let mut bits: u32 = 0;
    for value in symbols {
        buffer = (buffer << 5) | u16::from(value);
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            // Truncation is intended: the top bits were already emitted.
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    Ok(out)
}

/// Maps the text to 5-bit symbol values, skipping separators and padding.
fn symbols(s: &str) -> Result<Vec<u8>, Base32Error> {
    let mut values = Vec::with_capacity(s.len());
    let mut padding_at: Option<usize> = None;
    for (index, ch) in s.chars().enumerate() {
        let position = index + 1;
        match ch {
            ' ' | '-' => {}
            '=' => {
                padding_at.get_or_insert(position);
            }
            _ => {
                let value = value_of(ch).ok_or(Base32Error::InvalidChar { ch, position })?;
                if let Some(position) = padding_at {
                    return Err(Base32Error::MisplacedPadding { position });
                }
                values.push(value);
            }
        }
    }
    Ok(values)
}

fn value_of(ch: char) -> Option<u8> {
    match ch.to_ascii_uppercase() {
        // The casts cannot truncate: the ranges are ASCII.
        c @ 'A'..='Z' => Some(c as u8 - b'A'),
        c @ '2'..='7' => Some(c as u8 - b'2' + 26),
        _ => None,
    }
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
