//! Percent-encoding for otpauth:// labels and parameters (RFC 3986), over
//! the `percent-encoding` crate, stricter on decoding: a broken escape is
//! an error, not passed through.

use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// Everything but RFC 3986 unreserved characters and '@'.
const LABEL: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'@');

/// Encodes everything except RFC 3986 unreserved characters and '@' (kept
/// readable in e-mail account names). Spaces become `%20`, ':' becomes `%3A`.
pub(crate) fn encode(text: &str) -> String {
    utf8_percent_encode(text, LABEL).to_string()
}

/// Decodes `%XX` escapes; with `plus_is_space` (query values, as HTML forms
/// and many libraries write them) '+' means a space. `None` if an escape is
/// broken or the result is not UTF-8.
pub(crate) fn decode(text: &str, plus_is_space: bool) -> Option<String> {
    let bytes = text.as_bytes();
    let escapes_whole = bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'%')
        .all(|(i, _)| {
            bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit)
        });
    if !escapes_whole {
        return None;
    }
    // A literal '+' arrives as %2B, so turning the bare ones into spaces first is safe.
    let text = if plus_is_space {
        std::borrow::Cow::Owned(text.replace('+', " "))
    } else {
        std::borrow::Cow::Borrowed(text)
    };
    percent_decode_str(&text)
        .decode_utf8()
        .ok()
        .map(|s| s.into_owned())
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
