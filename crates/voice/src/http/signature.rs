//! The provider's signature on a callback (`X-Twilio-Signature`, which
//! SignalWire and jambonz send too): base64(HMAC-SHA1(auth token, the full
//! URL followed by each POST parameter's name and value, sorted by name)).

use base64::Engine;
use ring::hmac;

/// The string that is signed: the URL, then `name` + `value` of every
/// parameter in name order (byte order; equal names keep their order).
pub fn signed_string(url: &str, params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let mut out = String::from(url);
    for (name, value) in sorted {
        out.push_str(name);
        out.push_str(value);
    }
    out
}

fn key(token: &str) -> hmac::Key {
    hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, token.as_bytes())
}

/// The signature the provider sends for this request.
pub fn sign(token: &str, url: &str, params: &[(String, String)]) -> String {
    let tag = hmac::sign(&key(token), signed_string(url, params).as_bytes());
    base64::engine::general_purpose::STANDARD.encode(tag.as_ref())
}

/// Whether `header` is the signature of this request (checked in constant
/// time by ring); a missing or malformed header is not.
pub fn verify(token: &str, url: &str, params: &[(String, String)], header: Option<&str>) -> bool {
    let Some(header) = header else {
        return false;
    };
    let Ok(tag) = base64::engine::general_purpose::STANDARD.decode(header.trim()) else {
        return false;
    };
    hmac::verify(&key(token), signed_string(url, params).as_bytes(), &tag).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    /// Twilio's documented example ("Validating requests are coming from
    /// Twilio", twilio.com/docs/usage/security, and the request validators
    /// of its helper libraries): auth token 12345, this URL and these
    /// parameters are signed RSOYDt4T1cUTdK1PDd93/VVr8B8=.
    const URL: &str = "https://mycompany.com/myapp.php?foo=1&bar=2";
    const TOKEN: &str = "12345";
    const SIGNATURE: &str = "RSOYDt4T1cUTdK1PDd93/VVr8B8=";
    fn documented() -> Vec<(String, String)> {
        pairs(&[
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+14158675309"),
            ("Digits", "1234"),
            ("From", "+14158675309"),
            ("To", "+18005551212"),
        ])
    }

    #[test]
    fn twilios_documented_example() {
        assert_eq!(
            signed_string(URL, &documented()),
            "https://mycompany.com/myapp.php?foo=1&bar=2CallSidCA1234567890ABCDECaller+14158675309Digits1234From+14158675309To+18005551212"
        );
        assert_eq!(sign(TOKEN, URL, &documented()), SIGNATURE);
        assert!(verify(TOKEN, URL, &documented(), Some(SIGNATURE)));
        // The order the form came in makes no difference.
        let mut reversed = documented();
        reversed.reverse();
        assert!(verify(TOKEN, URL, &reversed, Some(SIGNATURE)));
    }

    #[test]
    fn anything_changed_is_refused() {
        let mut digits = documented();
        digits[2].1 = "9999".into();
        assert!(!verify(TOKEN, URL, &digits, Some(SIGNATURE)));
        assert!(!verify(
            TOKEN,
            "https://mycompany.com/myapp.php?foo=1&bar=3",
            &documented(),
            Some(SIGNATURE)
        ));
        assert!(!verify("54321", URL, &documented(), Some(SIGNATURE)));
        assert!(!verify(TOKEN, URL, &documented(), None));
        assert!(!verify(TOKEN, URL, &documented(), Some("")));
        assert!(!verify(TOKEN, URL, &documented(), Some("not base64!")));
        assert!(!verify(
            TOKEN,
            URL,
            &documented(),
            Some("RSOYDt4T1cUTdK1PDd93/VVr8B8")
        ));
    }
}
