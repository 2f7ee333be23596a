//! The ways a user can prove the second factor, and which of them a user
//! can use: derived from what they have, narrowed by an administrator.

use serde::{Deserialize, Deserializer, Serialize};

use crate::model::user::User;

/// A verification method. New ones (`yubico`, `call`, `webauthn`) are added
/// here, to [`Method::ALL`] and to [`Methods::of`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// An OATH code (TOTP or HOTP), with the PIN in front when the user has one.
    Otp,
    /// A YubiKey's Yubico OTP (touch the key), with the PIN in front likewise.
    Yubico,
    /// Approve on the Countersign authenticator.
    Push,
    /// A code sent by text message.
    Sms,
    /// A text message the user answers with the code it names (two-way SMS).
    SmsReply,
    /// A code sent by email.
    Email,
    /// A phone call: the user answers and presses `#` (or their PIN and `#`).
    Call,
}

impl Method {
    /// In the order a default is chosen when the user has none set.
    /// Call comes last, so no existing user's default changes.
    pub const ALL: [Method; 7] = [
        Method::Push,
        Method::Otp,
        Method::Yubico,
        Method::Sms,
        Method::SmsReply,
        Method::Email,
        Method::Call,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Method::Otp => "otp",
            Method::Yubico => "yubico",
            Method::Push => "push",
            Method::Sms => "sms",
            Method::SmsReply => "sms_reply",
            Method::Email => "email",
            Method::Call => "call",
        }
    }

    /// Reads a method's name in any case (`otp`, `OTP`, `Sms_Reply`).
    pub fn parse(text: &str) -> Option<Method> {
        let text = text.trim();
        Method::ALL
            .into_iter()
            .find(|m| m.as_str().eq_ignore_ascii_case(text))
    }

    /// The method a submitted code implies: yubico for a YubiKey's OTP, else otp.
    pub fn of_code(code: &str) -> Method {
        if countersign_otp::yubico::ends_like_otp(code.trim()) {
            Method::Yubico
        } else {
            Method::Otp
        }
    }

    /// Otp and yubico: the methods a typed one-time code answers.
    pub fn is_token(self) -> bool {
        matches!(self, Method::Otp | Method::Yubico)
    }

    /// The words for error messages: "push, otp, yubico, sms, sms_reply, email or call".
    pub fn listed() -> String {
        let names: Vec<&str> = Method::ALL.iter().map(|m| m.as_str()).collect();
        let (last, rest) = names.split_last().unwrap_or((&"", &[]));
        format!("{} or {last}", rest.join(", "))
    }

    /// Methods whose code the user types at the door (as opposed to push).
    pub fn is_code(self) -> bool {
        !matches!(self, Method::Push | Method::SmsReply | Method::Call)
    }

    /// Methods the door waits for (a pending transaction settled later).
    pub fn is_waited(self) -> bool {
        matches!(self, Method::Push | Method::SmsReply | Method::Call)
    }
}

/// Reads the names [`Method::parse`] reads; written in lowercase.
impl<'de> Deserialize<'de> for Method {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Method::parse(&text).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "'{text}' is not a method: use {}",
                Method::listed()
            ))
        })
    }
}

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Parses a comma-separated list (`"push, otp"`); an error names the bad word.
pub fn parse_list(text: &str) -> Result<Vec<Method>, String> {
    let mut methods = Vec::new();
    for word in text.split(',').map(str::trim).filter(|w| !w.is_empty()) {
        let method = Method::parse(word)
            .ok_or_else(|| format!("'{word}' is not a method: use {}", Method::listed()))?;
        if !methods.contains(&method) {
            methods.push(method);
        }
    }
    Ok(methods)
}

/// Stored form of a list: `push,otp`.
pub fn join_list(methods: &[Method]) -> String {
    methods
        .iter()
        .map(|m| m.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

/// What the user has that a method needs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Holdings {
    /// OATH tokens (TOTP, HOTP).
    pub tokens: usize,
    pub devices: usize,
    pub yubikeys: usize,
}

/// The methods a user can use right now, in default order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Methods(Vec<Method>);

impl Methods {
    /// Derived from what the user has, narrowed by the user's `allowed_methods`.
    pub fn of(user: &User, holdings: Holdings) -> Methods {
        let has = |method: Method| match method {
            Method::Otp => holdings.tokens > 0,
            Method::Yubico => holdings.yubikeys > 0,
            Method::Push => holdings.devices > 0,
            Method::Sms | Method::SmsReply => user.phone.is_some(),
            Method::Email => user.email.is_some() || user.username.contains('@'),
            Method::Call => user.call_number().is_some(),
        };
        Methods(
            Method::ALL
                .into_iter()
                .filter(|m| has(*m) && allowed_for(user, *m))
                .collect(),
        )
    }

    pub fn contains(&self, method: Method) -> bool {
        self.0.contains(&method)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn list(&self) -> &[Method] {
        &self.0
    }

    /// The methods for which `keep` holds, in the same order.
    pub fn filtered(&self, keep: impl Fn(Method) -> bool) -> Methods {
        Methods(self.0.iter().copied().filter(|m| keep(*m)).collect())
    }

    /// The user's default: the one set for them when they can use it, else
    /// push if they have a device, else otp if a token, else sms, else email.
    /// Two-way SMS is never chosen by itself: it must be set or asked for.
    pub fn default_for(&self, user: &User) -> Option<Method> {
        if let Some(set) = user.default_method.filter(|m| self.contains(*m)) {
            return Some(set);
        }
        self.0.iter().copied().find(|m| *m != Method::SmsReply)
    }
}

/// Whether an administrator's restriction lets this user use `method`.
pub fn allowed_for(user: &User, method: Method) -> bool {
    user.allowed_methods
        .as_ref()
        .is_none_or(|allowed| allowed.contains(&method))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user() -> User {
        User::blank("usr_1".into(), "alice".into(), 0)
    }

    #[test]
    fn names_round_trip_and_lists_parse() {
        for method in Method::ALL {
            assert_eq!(Method::parse(method.as_str()), Some(method));
        }
        assert_eq!(
            parse_list("push, otp,push"),
            Ok(vec![Method::Push, Method::Otp])
        );
        assert!(parse_list("push,fax").unwrap_err().contains("'fax'"));
        assert_eq!(Method::parse("SMS_Reply"), Some(Method::SmsReply));
        assert_eq!(parse_list("OTP, Push"), Ok(vec![Method::Otp, Method::Push]));
        let read: Result<Method, serde_json::Error> = serde_json::from_str("\"EMAIL\"");
        assert_eq!(read.ok(), Some(Method::Email));
        let refused: Result<Method, serde_json::Error> = serde_json::from_str("\"fax\"");
        assert!(refused.expect_err("fax").to_string().contains("'fax'"));
        assert_eq!(join_list(&[Method::Sms, Method::Email]), "sms,email");
    }

    #[test]
    fn default_follows_the_documented_order() {
        let mut u = user();
        u.phone = Some("+441632960123".into());
        let all = Holdings {
            tokens: 1,
            devices: 1,
            ..Holdings::default()
        };
        assert_eq!(Methods::of(&u, all).default_for(&u), Some(Method::Push));
        let no_device = Holdings {
            tokens: 1,
            ..Holdings::default()
        };
        assert_eq!(
            Methods::of(&u, no_device).default_for(&u),
            Some(Method::Otp)
        );
        assert_eq!(
            Methods::of(&u, Holdings::default()).default_for(&u),
            Some(Method::Sms)
        );
        u.phone = None;
        u.username = "alice@example.org".into();
        assert_eq!(
            Methods::of(&u, Holdings::default()).default_for(&u),
            Some(Method::Email)
        );
        u.username = "alice".into();
        assert_eq!(Methods::of(&u, Holdings::default()).default_for(&u), None);
    }

    #[test]
    fn a_set_default_wins_only_when_usable_and_restrictions_narrow() {
        let mut u = user();
        u.default_method = Some(Method::Otp);
        let both = Holdings {
            tokens: 1,
            devices: 1,
            ..Holdings::default()
        };
        assert_eq!(Methods::of(&u, both).default_for(&u), Some(Method::Otp));
        u.default_method = Some(Method::Sms);
        assert_eq!(Methods::of(&u, both).default_for(&u), Some(Method::Push));
        u.allowed_methods = Some(vec![Method::Otp]);
        let methods = Methods::of(&u, both);
        assert_eq!(methods.list(), &[Method::Otp]);
        assert!(!methods.contains(Method::Push));
    }
}
