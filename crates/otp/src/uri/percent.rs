//! Percent-encoding for otpauth:// labels and parameters (RFC 3986).

/// Encodes everything except RFC 3986 unreserved characters and '@' (kept
/// readable in e-mail account names). Spaces become `%20`, ':' becomes `%3A`.
pub(crate) fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~' | b'@') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Decodes `%XX` escapes; with `plus_is_space` (query values, as HTML forms
/// and many libraries write them) '+' means a space. `None` if an escape is
/// broken or the result is not UTF-8.
pub(crate) fn decode(text: &str, plus_is_space: bool) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&byte) = bytes.get(i) {
        match byte {
            b'%' => {
                let high = bytes.get(i + 1).and_then(|b| hex_value(*b))?;
                let low = bytes.get(i + 2).and_then(|b| hex_value(*b))?;
                out.push(high << 4 | low);
                i += 3;
            }
            b'+' if plus_is_space => {
                out.push(b' ');
                i += 1;
            }
            _ => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

fn hex_value(byte: u8) -> Option<u8> {
    // to_digit(16) is below 16, so the cast cannot truncate.
    char::from(byte).to_digit(16).map(|v| v as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_reserved_characters() {
        assert_eq!(encode("ACME Co"), "ACME%20Co");
        assert_eq!(encode("a:b/c?d&e=f+g%"), "a%3Ab%2Fc%3Fd%26e%3Df%2Bg%25");
        assert_eq!(encode("alice@example.com"), "alice@example.com");
        assert_eq!(encode("é"), "%C3%A9");
    }

    #[test]
    fn decodes_what_it_encodes() {
        for text in ["ACME Co", "a:b/c?d&e=f+g%", "é ü 中", ""] {
            assert_eq!(decode(&encode(text), false).as_deref(), Some(text));
            assert_eq!(decode(&encode(text), true).as_deref(), Some(text));
        }
    }

    #[test]
    fn plus_is_a_space_only_in_query_values() {
        assert_eq!(decode("Big+Corp", true).as_deref(), Some("Big Corp"));
        assert_eq!(decode("Big+Corp", false).as_deref(), Some("Big+Corp"));
        assert_eq!(decode("%2b", true).as_deref(), Some("+"));
    }

    #[test]
    fn rejects_broken_escapes_and_invalid_utf8() {
        for text in ["%", "%4", "%G1", "abc%zz", "%FF", "%C3"] {
            assert_eq!(decode(text, false), None, "{text}");
        }
    }
}
