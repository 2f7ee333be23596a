//! DTMF in SIP INFO bodies, the fallback for phones and PBXes that do not
//! send RFC 4733 events: `application/dtmf-relay` (Cisco's, `Signal=5` and
//! `Duration=160` lines) and `application/dtmf` (the key alone).

/// Longest body read; real ones are under 40 bytes.
const MAX_BODY: usize = 1024;

/// The key in an INFO body of `content_type`, if it is a DTMF body with a
/// key (digits, `*`, `#`, `A`-`D`; also the event numbers 10 and 11 for `*`
/// and `#` that some gateways send). Anything else is `None`.
pub fn key(content_type: &str, body: &[u8]) -> Option<char> {
    if body.len() > MAX_BODY {
        return None;
    }
    let text = std::str::from_utf8(body).ok()?;
    let mime = content_type.split(';').next().unwrap_or("").trim();
    if mime.eq_ignore_ascii_case("application/dtmf-relay") {
        text.lines().find_map(|line| {
            let (name, value) = line.split_once('=')?;
            if name.trim().eq_ignore_ascii_case("signal") {
                signal(value.trim())
            } else {
                None
            }
        })
    } else if mime.eq_ignore_ascii_case("application/dtmf") {
        signal(text.trim())
    } else {
        None
    }
}

/// Whether an INFO with this content type carries DTMF (so a body without a
/// key is an error to report rather than an unknown package).
pub fn is_dtmf(content_type: &str) -> bool {
    let mime = content_type.split(';').next().unwrap_or("").trim();
    mime.eq_ignore_ascii_case("application/dtmf-relay")
        || mime.eq_ignore_ascii_case("application/dtmf")
}

fn signal(value: &str) -> Option<char> {
    match value {
        "10" => return Some('*'),
        "11" => return Some('#'),
        _ => {}
    }
    let mut chars = value.chars();
    let c = chars.next()?.to_ascii_uppercase();
    if chars.next().is_some() {
        return None;
    }
    matches!(c, '0'..='9' | '*' | '#' | 'A'..='D').then_some(c)
}

#[cfg(test)]
mod tests {
    use super::key;

    #[test]
    fn dtmf_relay_bodies() {
        // SIPp's (sip.sh --info) and Cisco's forms.
        assert_eq!(
            key("application/dtmf-relay", b"Signal=5\r\nDuration=160\r\n"),
            Some('5')
        );
        assert_eq!(
            key("Application/DTMF-Relay", b"Signal= #\nDuration= 250\n"),
            Some('#')
        );
        assert_eq!(
            key(
                "application/dtmf-relay; charset=x",
                b"Duration=100\r\nsignal=*"
            ),
            Some('*')
        );
        assert_eq!(key("application/dtmf-relay", b"Signal=11\r\n"), Some('#'));
        assert_eq!(key("application/dtmf-relay", b"Signal=d\r\n"), Some('D'));
    }

    #[test]
    fn dtmf_bodies() {
        assert_eq!(key("application/dtmf", b"0"), Some('0'));
        assert_eq!(key("application/dtmf", b" #\r\n"), Some('#'));
        assert_eq!(key("application/dtmf", b"10"), Some('*'));
    }

    #[test]
    fn anything_else_is_none() {
        assert_eq!(key("application/dtmf-relay", b"Duration=160"), None);
        assert_eq!(key("application/dtmf-relay", b"Signal=12"), None);
        assert_eq!(key("application/dtmf-relay", b"Signal=E"), None);
        assert_eq!(key("application/dtmf", b"55"), None);
        assert_eq!(key("application/dtmf", b""), None);
        assert_eq!(key("application/media_control+xml", b"Signal=5"), None);
        assert_eq!(key("application/dtmf", &[0xFF]), None);
        assert_eq!(key("application/dtmf", &[b'1'; 2000]), None);
        assert!(super::is_dtmf("application/dtmf-relay;x=y"));
        assert!(!super::is_dtmf("text/plain"));
    }
}
