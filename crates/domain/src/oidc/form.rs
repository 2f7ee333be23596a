//! What the endpoints parse by hand: `application/x-www-form-urlencoded`
//! bodies and queries (a parameter given twice is an error, RFC 6749 §3.1)
//! and the `Authorization: Basic` client credentials (RFC 6749 §2.3.1:
//! the id and secret are form-encoded before base64). Fuzzed.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

/// The parameters, each at most once; `Err(name)` names a repeated one
/// (or `""` when the input is not form data at all).
pub fn parse_params(input: &[u8]) -> Result<Vec<(String, String)>, String> {
    if input.len() > 64 * 1024 {
        return Err(String::new());
    }
    let mut out: Vec<(String, String)> = Vec::new();
    for pair in input.split(|b| *b == b'&').filter(|p| !p.is_empty()) {
        let (k, v) = match pair.iter().position(|b| *b == b'=') {
            Some(i) => (&pair[..i], &pair[i + 1..]),
            None => (pair, &pair[pair.len()..]),
        };
        let (k, v) = (
            decode(k).ok_or_else(String::new)?,
            decode(v).ok_or_else(String::new)?,
        );
        if out.iter().any(|(seen, _)| *seen == k) {
            return Err(k);
        }
        out.push((k, v));
    }
    Ok(out)
}

/// Percent-decoding with `+` as space; `None` unless the result is UTF-8.
pub fn decode(raw: &[u8]) -> Option<String> {
    let plus: Vec<u8> = raw
        .iter()
        .map(|b| if *b == b'+' { b' ' } else { *b })
        .collect();
    percent_encoding::percent_decode(&plus)
        .decode_utf8()
        .ok()
        .map(|s| s.into_owned())
}

/// The value of `name`, if given.
pub fn get<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

/// `Basic base64(urlencode(id):urlencode(secret))` taken apart.
pub fn basic_credentials(header: &str) -> Option<(String, String)> {
    let (scheme, rest) = header.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") || rest.len() > 4096 {
        return None;
    }
    let raw = STANDARD.decode(rest.trim()).ok()?;
    let colon = raw.iter().position(|b| *b == b':')?;
    Some((decode(&raw[..colon])?, decode(&raw[colon + 1..])?))
}

/// Percent-encodes a query value (RFC 3986 unreserved characters stay).
pub fn encode(value: &str) -> String {
    const SET: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(value, SET).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_parameters_are_named() {
        assert_eq!(parse_params(b"a=1&b=2&a=3"), Err("a".to_string()));
        let ok = parse_params(b"grant_type=authorization_code&code=x%2By+z&").unwrap();
        assert_eq!(get(&ok, "code"), Some("x+y z"));
        assert!(parse_params(b"a=%ff").is_err());
    }

    #[test]
    fn basic_credentials_are_form_decoded() {
        let header = format!("Basic {}", STANDARD.encode("my%20app:s%3Acret"));
        assert_eq!(
            basic_credentials(&header),
            Some(("my app".into(), "s:cret".into()))
        );
        assert_eq!(basic_credentials("Bearer x"), None);
        assert_eq!(basic_credentials("Basic !!!"), None);
    }
}
