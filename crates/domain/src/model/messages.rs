//! Outgoing email and SMS: what is queued in the outbox, and the ports
//! that render and send it.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MessageKind {
    Email,
    Sms,
}

impl MessageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageKind::Email => "email",
            MessageKind::Sms => "sms",
        }
    }
    pub fn parse(text: &str) -> Option<MessageKind> {
        match text {
            "email" => Some(MessageKind::Email),
            "sms" => Some(MessageKind::Sms),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MessageStatus {
    Queued,
    Sent,
    Failed,
}

impl MessageStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageStatus::Queued => "queued",
            MessageStatus::Sent => "sent",
            MessageStatus::Failed => "failed",
        }
    }
    pub fn parse(text: &str) -> Option<MessageStatus> {
        match text {
            "queued" => Some(MessageStatus::Queued),
            "sent" => Some(MessageStatus::Sent),
            "failed" => Some(MessageStatus::Failed),
            _ => None,
        }
    }
}

/// What a message says. Sealed at rest: it may carry codes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageContent {
    pub subject: Option<String>,
    pub text: String,
    pub html: Option<String>,
    /// Files attached to emails (checked before each send).
    pub attachments: Vec<String>,
    /// A PNG shown inline (the activation QR), base64.
    pub inline_png: Option<String>,
}

/// A row of the outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutboxMessage {
    pub id: String,
    pub kind: MessageKind,
    /// `welcome`, `code`, `test`, ...
    pub purpose: String,
    pub recipient: String,
    #[serde(skip)]
    pub sealed: Vec<u8>,
    pub status: MessageStatus,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub sent_at: Option<i64>,
}

/// How a send attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    Sent {
        at: i64,
    },
    Retry {
        attempts: i64,
        next_at: i64,
        error: String,
    },
    Failed {
        attempts: i64,
        error: String,
    },
}

/// Why a send failed; permanent failures are not retried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendFailure {
    pub permanent: bool,
    pub error: String,
}

/// One code sent (or about to be), for the send limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendRecord {
    pub id: String,
    /// `None` for a send to no known user (none today).
    pub user_id: Option<String>,
    /// The phone number or email address.
    pub destination: String,
    pub kind: MessageKind,
    /// `code`, `sms_reply`, `confirm`.
    pub purpose: String,
    pub at: i64,
}

/// Sends counted since the start of a window, the new one included.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SendCounts {
    pub user: i64,
    pub destination: i64,
    pub global: i64,
}

/// `+44 ••••• 123`: enough for the user to recognise, not to learn.
pub fn mask_phone(phone: &str) -> String {
    let digits: Vec<char> = phone.chars().collect();
    let tail: String = digits.iter().rev().take(3).rev().collect();
    let head: String = digits.iter().take(3).collect();
    format!("{head} ••••• {tail}")
}

/// `a•••@example.org`.
pub fn mask_email(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => format!("{}•••@{domain}", local.chars().next().unwrap_or('•')),
        None => "•••".to_string(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn destinations_are_masked() {
        assert_eq!(super::mask_phone("+441632960123"), "+44 ••••• 123");
        assert_eq!(super::mask_email("alice@example.org"), "a•••@example.org");
    }
}
