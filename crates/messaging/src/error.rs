//! Why a message could not be sent, in words an operator can act on.

use std::path::PathBuf;

use crate::templates::TemplateError;

/// A message that could not be sent. The text names the server, file or
/// setting involved and what to do; [`SendError::is_permanent`] says whether
/// sending the same message again can succeed.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// A setting is missing or invalid; `key` is its name in the config file.
    #[error("{key}: {problem}")]
    Config { key: String, problem: String },

    #[error("the email address {address:?} is not valid ({reason}): fix the user's email address")]
    BadAddress { address: String, reason: String },

    #[error(
        "the phone number {number:?} is not in international format (E.164, like +441632960123): \
         fix the user's phone number"
    )]
    BadPhoneNumber { number: String },

    #[error(
        "cannot read attachment {}: {reason}: fix the file's permissions or remove it from \
         email.attachments",
        path.display()
    )]
    Attachment { path: PathBuf, reason: String },

    #[error("cannot build the email: {reason}")]
    Message { reason: String },

    #[error(
        "cannot connect to the SMTP server {server}: {reason}: check that it is running and that \
         smtp.host, smtp.port and smtp.tls are right"
    )]
    SmtpUnreachable { server: String, reason: String },

    #[error(
        "the SMTP server {server} did not answer within {seconds} s while {stage}: check that it \
         is running and reachable, or raise smtp.timeout_seconds"
    )]
    SmtpTimeout {
        server: String,
        seconds: u64,
        stage: &'static str,
    },

    #[error(
        "the SMTP server {server} does not offer STARTTLS: set smtp.tls = \"implicit\" if it \
         expects TLS from the start (usually port 465), or \"none\" for a relay on this machine"
    )]
    StartTlsUnsupported { server: String },

    #[error(
        "TLS with the SMTP server {server} failed: {reason}: check smtp.tls and that the server's \
         certificate is valid for smtp.host and trusted by this machine"
    )]
    SmtpTls { server: String, reason: String },

    #[error(
        "the SMTP server {server} refused the login for user {user} ({reply}): check \
         smtp.username and smtp.password"
    )]
    LoginRefused {
        server: String,
        user: String,
        reply: String,
    },

    #[error(
        "the SMTP server {server} offers no login method Countersign can use (PLAIN or LOGIN) \
         on this connection: use smtp.tls = \"starttls\" or \"implicit\" (servers often offer \
         login only over TLS), or remove smtp.username for a relay without login"
    )]
    LoginUnsupported { server: String },

    #[error("the SMTP server {server} refused the message to {to}: {code} {reply}{}", smtp_hint(*.code))]
    SmtpRejected {
        server: String,
        to: String,
        code: u16,
        reply: String,
    },

    #[error("the conversation with the SMTP server {server} failed: {reason}")]
    SmtpProtocol { server: String, reason: String },

    #[error(
        "cannot reach {gateway} at {url}: {reason}: check that it is running and that its URL \
         in the [sms] settings is right"
    )]
    GatewayUnreachable {
        gateway: &'static str,
        url: String,
        reason: String,
    },

    #[error("{gateway} at {url} did not answer within {seconds} s: check that it is running")]
    GatewayTimeout {
        gateway: &'static str,
        url: String,
        seconds: u64,
    },

    #[error("{gateway} at {url} answered HTTP {status}: {body:?}{}", gateway_hint(*.status))]
    GatewayRefused {
        gateway: &'static str,
        url: String,
        status: u16,
        body: String,
    },

    #[error("cannot build the request for the SMS gateway: {template} failed: {source}: fix it in the [sms] settings")]
    GatewayTemplate {
        template: String,
        source: TemplateError,
    },
}

impl SendError {
    /// True when sending the same message again cannot help: the message
    /// itself is wrong (address, attachment, template), the SMTP server
    /// refused it with a 5xx reply (except 530, login required), or the
    /// gateway refused it with a 4xx answer other than 408 and 429. Connection
    /// problems, timeouts, server-side (5xx) failures, rate limits, TLS and
    /// login problems are temporary: an operator can fix the server or its
    /// settings, and queued messages then go out.
    pub fn is_permanent(&self) -> bool {
        match self {
            Self::Config { .. }
            | Self::BadAddress { .. }
            | Self::BadPhoneNumber { .. }
            | Self::Attachment { .. }
            | Self::Message { .. }
            | Self::GatewayTemplate { .. } => true,
            // 530 "authentication required" is the server's settings, not the message's.
            Self::SmtpRejected { code, .. } => *code >= 500 && *code != 530,
            Self::GatewayRefused { status, .. } => is_permanent_status(*status),
            Self::SmtpUnreachable { .. }
            | Self::SmtpTimeout { .. }
            | Self::StartTlsUnsupported { .. }
            | Self::SmtpTls { .. }
            | Self::LoginRefused { .. }
            | Self::LoginUnsupported { .. }
            | Self::SmtpProtocol { .. }
            | Self::GatewayUnreachable { .. }
            | Self::GatewayTimeout { .. } => false,
        }
    }

    pub(crate) fn config(key: &str, problem: impl Into<String>) -> Self {
        Self::Config {
            key: key.to_owned(),
            problem: problem.into(),
        }
    }
}

/// 4xx means "this request is wrong", except 408 (timeout) and 429 (slow down).
fn is_permanent_status(status: u16) -> bool {
    (400..500).contains(&status) && status != 408 && status != 429
}

fn smtp_hint(code: u16) -> &'static str {
    if code == 530 {
        ": the server requires a login: set smtp.username and smtp.password"
    } else if code >= 500 {
        ": check the address, and that the server relays mail from smtp.from"
    } else {
        " (the server asks to try again later)"
    }
}

fn gateway_hint(status: u16) -> &'static str {
    match status {
        401 | 403 => {
            ": check the gateway's username and password (or API key) in the [sms] settings"
        }
        429 => ": the gateway is rate limiting; try again later",
        300..=399 => ": the gateway redirects; set its final URL in the [sms] settings",
        400..=499 => ": the gateway rejected this request; check the [sms] settings and the number",
        500..=599 => ": the gateway has a problem; see its logs",
        _ => ": the gateway did not accept the message",
    }
}

/// An I/O error in plain words ("permission denied", not "Permission denied (os error 13)").
pub(crate) fn describe_io(e: &std::io::Error) -> String {
    use std::io::ErrorKind as K;
    match e.kind() {
        K::NotFound => "no such file or directory".into(),
        K::PermissionDenied => "permission denied".into(),
        K::IsADirectory => "it is a directory, not a file".into(),
        K::ConnectionRefused => "connection refused (nothing listens there)".into(),
        K::ConnectionReset => "the connection was reset".into(),
        K::TimedOut => "timed out".into(),
        K::UnexpectedEof => "the server closed the connection".into(),
        _ => strip_os_error(&e.to_string()),
    }
}

fn strip_os_error(text: &str) -> String {
    match text.find(" (os error") {
        Some(i) => text[..i].to_owned(),
        None => text.to_owned(),
    }
}

/// The most telling text in an error chain: its innermost error (outer
/// layers such as lettre's or reqwest's repeat it with less detail), an
/// operating-system error in words.
pub(crate) fn describe_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut innermost = e;
    while let Some(source) = innermost.source() {
        innermost = source;
    }
    match innermost.downcast_ref::<std::io::Error>() {
        Some(io) if io.get_ref().is_none() => describe_io(io),
        _ => strip_os_error(&innermost.to_string()),
    }
}

/// At most `max` characters of `text` on one line, marked when cut.
pub(crate) fn truncate_one_line(text: &str, max: usize) -> String {
    let flat: String = text
        .trim()
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if flat.chars().count() <= max {
        return flat;
    }
    let cut: String = flat.chars().take(max).collect();
    format!("{cut}...")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gateway_statuses_are_classified() {
        let refused = |status| SendError::GatewayRefused {
            gateway: "Kannel",
            url: "http://x".into(),
            status,
            body: String::new(),
        };
        assert!(refused(400).is_permanent());
        assert!(refused(403).is_permanent());
        assert!(!refused(429).is_permanent());
        assert!(!refused(408).is_permanent());
        assert!(!refused(500).is_permanent());
        assert!(!refused(503).is_permanent());
    }

    #[test]
    fn long_bodies_are_cut_to_one_line() {
        assert_eq!(truncate_one_line(" a\nb\r\n", 10), "a b");
        assert_eq!(truncate_one_line("abcdef", 3), "abc...");
    }

    #[test]
    fn io_errors_read_as_words() {
        let e = std::io::Error::from(std::io::ErrorKind::PermissionDenied);
        assert_eq!(describe_io(&e), "permission denied");
        let e = std::io::Error::from_raw_os_error(2);
        assert_eq!(describe_io(&e), "no such file or directory");
    }
}
