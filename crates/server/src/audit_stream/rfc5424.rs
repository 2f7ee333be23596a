//! One audit record as an RFC 5424 syslog message: the key fields as
//! structured data (SD-ID `audit@32473`, the documentation enterprise
//! number of RFC 5612) and the whole record as JSON in MSG.

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

/// A PARAM-VALUE: `"`, `\` and `]` escaped (RFC 5424 6.3.3); control
/// characters, which no sane collector keeps, replaced.
fn value(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' | '\\' | ']' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// The message, without framing.
pub fn message(header: &Header, record: &AuditView) -> String {
    let pri = u16::from(header.facility) * 8 + u16::from(severity(&record.result));
    let mut sd = format!(
        "[audit@32473 seq=\"{}\" result=\"{}\" user=\"{}\" method=\"{}\"",
        record.seq,
        value(&record.result),
        value(&record.username),
        value(&record.method)
    );
    for (name, v) in [
        ("reason", &record.reason),
        ("client", &record.api_key),
        ("address", &record.source_address),
    ] {
        if let Some(v) = v {
            sd.push_str(&format!(" {name}=\"{}\"", value(v)));
        }
    }
    sd.push(']');
    let json = serde_json::to_string(record).unwrap_or_default();
    format!(
        "<{pri}>1 {} {} countersign {} audit {sd} {json}",
        record.at, header.hostname, header.procid
    )
}

/// RFC 5425 / RFC 6587 octet counting: `LEN SP MSG`.
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
    fn header_fields_are_printable_ascii() {
        assert_eq!(field("my host\u{7f}é", 255), "myhost");
        assert_eq!(field("", 255), "-");
        assert_eq!(octet_counted("<38>1 x"), "7 <38>1 x");
    }
}
