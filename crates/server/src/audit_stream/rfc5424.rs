//! One audit record as an RFC 5424 syslog message: the key fields as
//! structured data (SD-ID `audit@32473`, the documentation enterprise
//! number of RFC 5612) and the whole record as JSON in MSG.

use std::io::Write;

use countersign_web::AuditView;

/// What every message of this sender shares.
#[derive(Debug, Clone)]
pub struct Header {
    pub facility: u8,
    /// HOSTNAME (printable ASCII; `-` when unknown).
    pub hostname: String,
    pub procid: String,
}

impl Header {
    pub fn new(facility: u8, hostname: Option<&str>) -> Self {
        let name = hostname
            .map(str::to_string)
            .or_else(|| std::fs::read_to_string("/proc/sys/kernel/hostname").ok())
            .unwrap_or_default();
        Self {
            facility,
            hostname: field(name.trim(), 255),
            procid: std::process::id().to_string(),
        }
    }
}

/// Severity by result: a refusal is a warning, an administrator's action a
/// notice, an acceptance information.
fn severity(result: &str) -> u8 {
    match result {
        "rejected" => 4,
        "admin" => 5,
        _ => 6,
    }
}

/// A header field: printable ASCII without spaces, at most `max`, `-` if empty.
fn field(text: &str, max: usize) -> String {
    let cleaned: String = text
        .chars()
        .filter(|c| c.is_ascii_graphic())
        .take(max)
        .collect();
    if cleaned.is_empty() {
        "-".into()
    } else {
        cleaned
    }
}

/// A PARAM-VALUE, appended: `"`, `\` and `]` escaped (RFC 5424 6.3.3);
/// control characters, which no sane collector keeps, replaced.
fn value(out: &mut Vec<u8>, text: &str) {
    let plain = |c: char| !matches!(c, '"' | '\\' | ']') && !c.is_control();
    if text.chars().all(plain) {
        out.extend_from_slice(text.as_bytes());
        return;
    }
    let mut utf8 = [0u8; 4];
    for c in text.chars() {
        let c = match c {
            '"' | '\\' | ']' => {
                out.push(b'\\');
                c
            }
            c if c.is_control() => '\u{FFFD}',
            c => c,
        };
        out.extend_from_slice(c.encode_utf8(&mut utf8).as_bytes());
    }
}

/// Appends the message, without framing.
pub fn write_message(out: &mut Vec<u8>, header: &Header, record: &AuditView) {
    let pri = u16::from(header.facility) * 8 + u16::from(severity(&record.result));
    // Writing to a Vec cannot fail.
    let _ = write!(
        out,
        "<{pri}>1 {} {} countersign {} audit [audit@32473 seq=\"{}\" result=\"",
        record.at, header.hostname, header.procid, record.seq
    );
    value(out, &record.result);
    out.extend_from_slice(b"\" user=\"");
    value(out, &record.username);
    out.extend_from_slice(b"\" method=\"");
    value(out, &record.method);
    out.push(b'"');
    for (name, v) in [
        ("reason", &record.reason),
        ("client", &record.api_key),
        ("address", &record.source_address),
    ] {
        if let Some(v) = v {
            let _ = write!(out, " {name}=\"");
            value(out, v);
            out.push(b'"');
        }
    }
    out.extend_from_slice(b"] ");
    let _ = serde_json::to_writer(&mut *out, record);
}

/// The message, without framing.
#[cfg(test)]
pub fn message(header: &Header, record: &AuditView) -> String {
    let mut out = Vec::with_capacity(512);
    write_message(&mut out, header, record);
    String::from_utf8_lossy(&out).into_owned()
}

/// A batch of messages, each framed by RFC 5425 / RFC 6587 octet counting
/// (`LEN SP MSG`) in one buffer, and where each message (without its
/// length) lies in it, for UDP.
#[derive(Debug, Default)]
pub struct Frames {
    pub bytes: Vec<u8>,
    pub messages: Vec<std::ops::Range<usize>>,
}

/// Formats the records into frames (`n`: how many there are).
pub fn frames(header: &Header, records: impl Iterator<Item = AuditView>, n: usize) -> Frames {
    let mut frames = Frames {
        bytes: Vec::with_capacity(n * 400),
        messages: Vec::with_capacity(n),
    };
    let mut scratch = Vec::with_capacity(512);
    for record in records {
        scratch.clear();
        write_message(&mut scratch, header, &record);
        let _ = write!(frames.bytes, "{} ", scratch.len());
        let start = frames.bytes.len();
        frames.bytes.extend_from_slice(&scratch);
        frames.messages.push(start..frames.bytes.len());
    }
    frames
}

/// RFC 5425 / RFC 6587 octet counting: `LEN SP MSG`.
#[cfg(test)]
pub fn octet_counted(message: &str) -> String {
    format!("{} {message}", message.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(username: &str, result: &str, reason: Option<&str>) -> AuditView {
        AuditView {
            seq: 42,
            id: "aud_1".into(),
            at: "2026-12-07T16:14:35Z".into(),
            username: username.into(),
            method: "otp".into(),
            token_id: None,
            result: result.into(),
            reason: reason.map(str::to_string),
            api_key: Some("radius:vpn".into()),
            source_address: None,
            rule: None,
        }
    }

    fn header() -> Header {
        Header {
            facility: 4,
            hostname: "mfa1".into(),
            procid: "77".into(),
        }
    }

    #[test]
    fn a_refusal_is_a_warning_with_its_fields_as_structured_data() {
        let text = message(&header(), &view("alice", "rejected", Some("code_invalid")));
        assert!(text.starts_with(
            "<36>1 2026-12-07T16:14:35Z mfa1 countersign 77 audit [audit@32473 seq=\"42\" result=\"rejected\" user=\"alice\" method=\"otp\" reason=\"code_invalid\" client=\"radius:vpn\"] {"
        ), "{text}");
        let json: serde_json::Value =
            serde_json::from_str(text.split_once("] ").map(|(_, j)| j).unwrap_or(""))
                .expect("json");
        assert_eq!(json["seq"], 42);
        assert_eq!(json["reason"], "code_invalid");
    }

    #[test]
    fn param_values_are_escaped() {
        let text = message(&header(), &view("a\"b]c\\d\ne", "accepted", None));
        assert!(text.contains("user=\"a\\\"b\\]c\\\\d\u{FFFD}e\""), "{text}");
        assert!(text.starts_with("<38>1 "));
    }

    #[test]
    fn frames_are_octet_counted_messages_in_one_buffer() {
        let records = [
            view("alice", "accepted", None),
            view("bob", "rejected", None),
        ];
        let expected: Vec<String> = records.iter().map(|r| message(&header(), r)).collect();
        let frames = frames(&header(), records.into_iter(), 2);
        let joined: String = expected.iter().map(|m| octet_counted(m)).collect();
        assert_eq!(String::from_utf8_lossy(&frames.bytes), joined);
        let second = &frames.bytes[frames.messages[1].clone()];
        assert_eq!(String::from_utf8_lossy(second), expected[1]);
    }

    #[test]
    fn header_fields_are_printable_ascii() {
        assert_eq!(field("my host\u{7f}é", 255), "myhost");
        assert_eq!(field("", 255), "-");
        assert_eq!(octet_counted("<38>1 x"), "7 <38>1 x");
    }
}
