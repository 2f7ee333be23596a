//! Users and the rules their fields follow.

use serde::{Deserialize, Serialize};

use crate::model::error::DomainError;
use crate::model::method::Method;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: String,
    pub username: String,
    pub display_name: Option<String>,
    pub email: Option<String>,
    /// E.164, e.g. `+441632960123`.
    pub phone: Option<String>,
    /// The number a phone call goes to when it is not `phone` (a desk
    /// phone's extension, a landline): E.164 or an extension's digits.
    pub voice_phone: Option<String>,
    pub enabled: bool,
    /// Unix seconds until which verifications are refused; `None` when not locked.
    pub locked_until: Option<i64>,
    /// Consecutive failed verifications since the last success or unlock.
    pub failed_attempts: i64,
    pub created_at: i64,
    pub updated_at: i64,
    /// Push policy for this user; `None` follows the `[push]` configuration.
    pub push_number_matching: Option<bool>,
    pub push_pin_required: Option<bool>,
    /// Welcome emails for this user; `None` follows `email.welcome`.
    pub welcome_email: Option<bool>,
    /// When the first welcome email was queued (later ones say "updated").
    pub welcomed_at: Option<i64>,
    /// argon2id hash of the user's PIN, for PIN + code; never shown.
    #[serde(skip)]
    pub pin_hash: Option<String>,
    /// The method used when a door does not name one; `None`: chosen from
    /// what the user has (see `signin::Methods::default_for`).
    pub default_method: Option<Method>,
    /// The methods an administrator lets this user use; `None`: all they have.
    pub allowed_methods: Option<Vec<Method>>,
    /// One-time bypass: the next sign-in until this time (Unix seconds)
    /// is let through without a second factor, audited as `bypassed`.
    pub bypass_until: Option<i64>,
    /// Why the bypass was granted (shown in the console and the API).
    pub bypass_reason: Option<String>,
    /// The language of the user's messages (`de`, `pt-BR`); `None`: the templates' default.
    pub language: Option<String>,
}

impl User {
    /// The number a phone call dials: `voice_phone`, else `phone`.
    pub fn call_number(&self) -> Option<&str> {
        self.voice_phone.as_deref().or(self.phone.as_deref())
    }

    pub fn is_locked(&self, now: i64) -> bool {
        self.locked_until.is_some_and(|until| until > now)
    }

    /// A new enabled user with nothing set but its id and name.
    pub fn blank(id: String, username: String, now: i64) -> User {
        User {
            id,
            username,
            display_name: None,
            email: None,
            phone: None,
            voice_phone: None,
            enabled: true,
            locked_until: None,
            failed_attempts: 0,
            created_at: now,
            updated_at: now,
            push_number_matching: None,
            push_pin_required: None,
            welcome_email: None,
            welcomed_at: None,
            pin_hash: None,
            default_method: None,
            allowed_methods: None,
            bypass_until: None,
            bypass_reason: None,
            language: None,
        }
    }

    /// Whether a one-time bypass is waiting to be used.
    pub fn has_bypass(&self, now: i64) -> bool {
        self.bypass_until.is_some_and(|until| until > now)
    }
}

/// What a caller gives to create a user.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct NewUser {
    pub username: String,
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

/// A partial update: `None` keeps a field, `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct UserPatch {
    pub display_name: Option<Option<String>>,
    pub email: Option<Option<String>>,
    pub phone: Option<Option<String>>,
    /// `Some(None)` clears it.
    pub voice_phone: Option<Option<String>>,
    pub enabled: Option<bool>,
    /// `Some(None)` returns the setting to the global policy.
    pub push_number_matching: Option<Option<bool>>,
    pub push_pin_required: Option<Option<bool>>,
    pub welcome_email: Option<Option<bool>>,
    /// `Some(None)` returns to the default chosen from what the user has.
    pub default_method: Option<Option<Method>>,
    /// `Some(None)` lifts the restriction.
    pub allowed_methods: Option<Option<Vec<Method>>>,
    /// `Some(None)` returns to the templates' default language.
    pub language: Option<Option<String>>,
}

/// A language tag as message templates are named by (`de`, `pt-BR`).
pub fn validate_language(tag: &str) -> Result<(), DomainError> {
    let mut parts = tag.split('-');
    let primary = parts.next().unwrap_or("");
    let ok = (2..=3).contains(&primary.len())
        && primary.bytes().all(|b| b.is_ascii_alphabetic())
        && parts
            .all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()))
        && tag.len() <= 35;
    if ok {
        Ok(())
    } else {
        Err(DomainError::invalid(
            "language",
            "a language tag such as en, de or pt-BR",
        ))
    }
}

/// A page of users: those whose username, display name or email contains
/// `query` (ignoring case), ordered by username, after the username `after`.
#[derive(Debug, Clone, Default)]
pub struct UserQuery {
    pub query: Option<String>,
    pub limit: u32,
    pub after: Option<String>,
    /// Only users locked at this time (Unix seconds).
    pub locked_at: Option<i64>,
}

pub const MAX_PAGE: u32 = 1000;

/// Prefix of the hidden users that carry console administrators' second
/// factor (`admin/NAME`). Real usernames cannot contain '/'.
pub const PRINCIPAL_PREFIX: &str = "admin/";

/// Whether `username` names an administrator's principal, not a user.
pub fn is_principal(username: &str) -> bool {
    username.contains('/')
}

/// The lookup key of a username: usernames are unique ignoring case.
pub fn username_key(username: &str) -> String {
    username.to_lowercase()
}

pub fn validate_username(username: &str) -> Result<(), DomainError> {
    let problem = if username.is_empty() {
        Some("must not be empty")
    } else if username.chars().count() > 256 {
        Some("must be at most 256 characters")
    } else if username.trim() != username {
        Some("must not start or end with spaces")
    } else if username.chars().any(|c| c.is_control() || c == '/') {
        Some("must not contain control characters or '/'")
    } else {
        None
    };
    match problem {
        Some(message) => Err(DomainError::invalid("username", message)),
        None => Ok(()),
    }
}

/// Accepts E.164 numbers: '+', a country code not starting with 0, 8 to 15 digits in all.
/// Spaces, dashes and parentheses people type are removed first.
pub fn normalize_phone(phone: &str) -> Result<String, DomainError> {
    let cleaned: String = phone
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '.'))
        .collect();
    let digits = cleaned.strip_prefix('+').unwrap_or("");
    let valid = digits.len() >= 8
        && digits.len() <= 15
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0');
    if valid {
        Ok(cleaned)
    } else {
        Err(DomainError::invalid(
            "phone",
            format!("'{phone}' is not an E.164 number: write it as + country code and number, e.g. +441632960123"),
        ))
    }
}

/// A number a call may dial: E.164 (as [`normalize_phone`]) or an
/// internal extension of 2 to 15 digits (dialled as it is, through the
/// dial plan's `dial_rewrite`).
pub fn normalize_voice_phone(phone: &str) -> Result<String, DomainError> {
    let cleaned: String = phone
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '.'))
        .collect();
    if cleaned.starts_with('+') {
        return normalize_phone(phone).map_err(|_| {
            DomainError::invalid(
                "voice_phone",
                format!("'{phone}' is not an E.164 number: write it as + country code and number (+441632960123) or as an extension's digits (4711)"),
            )
        });
    }
    if (2..=15).contains(&cleaned.len()) && cleaned.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(cleaned);
    }
    Err(DomainError::invalid(
        "voice_phone",
        format!("'{phone}' is neither an E.164 number (+441632960123) nor an extension of 2 to 15 digits (4711)"),
    ))
}

pub fn validate_email(email: &str) -> Result<(), DomainError> {
    let valid = match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !email.chars().any(|c| c.is_whitespace() || c.is_control())
                && email.len() <= 254
        }
        None => false,
    };
    if valid {
        Ok(())
    } else {
        Err(DomainError::invalid(
            "email",
            format!("'{email}' is not an email address like name@example.org"),
        ))
    }
}

pub fn validate_display_name(name: &str) -> Result<(), DomainError> {
    if name.chars().count() > 256 || name.chars().any(char::is_control) {
        return Err(DomainError::invalid(
            "display_name",
            "must be at most 256 characters without control characters",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn voice_phones_are_e164_or_extensions() {
        assert_eq!(
            normalize_voice_phone("+44 1632 960123").ok().as_deref(),
            Some("+441632960123")
        );
        assert_eq!(normalize_voice_phone("47-11").ok().as_deref(), Some("4711"));
        assert!(normalize_voice_phone("1").is_err());
        assert!(normalize_voice_phone("+0441632960123").is_err());
        assert!(normalize_voice_phone("ext 12").is_err());
    }

    #[test]
    fn phones_are_e164() {
        assert_eq!(
            normalize_phone("+44 1632 960123").expect("valid"),
            "+441632960123"
        );
        assert!(normalize_phone("01632960123").is_err());
        assert!(normalize_phone("+0441632960123").is_err());
        assert!(normalize_phone("+44abc").is_err());
        assert!(normalize_phone("+1234567890123456").is_err());
    }

    #[test]
    fn usernames_and_emails_are_checked() {
        assert!(validate_username("alice@example.org").is_ok());
        assert!(validate_username(" alice").is_err());
        assert!(validate_username("").is_err());
        assert!(validate_username("a\nb").is_err());
        assert!(validate_email("alice@example.org").is_ok());
        assert!(validate_email("alice").is_err());
        assert!(validate_email("alice@localhost").is_err());
        assert_eq!(username_key("Alice"), "alice");
    }
}

/// The user's failure count and lock after a failed verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailureState {
    pub failed_attempts: i64,
    pub locked_until: Option<i64>,
}
