//! The HTTP voice provider in the TwiML convention (Twilio, SignalWire,
//! jambonz, Plivo's and Vonage's mappings; docs/decisions/0006): the call is
//! placed with a POST to the provider's REST API, the provider fetches the
//! TwiML and the prompt from this server and posts the keys and the call's
//! status back, each callback signed (`X-Twilio-Signature`).
//!
//! The pure parts (the form parser, the signature, the TwiML) build without
//! the `http` feature (fuzz/ builds them); [`HttpCaller`] and [`Webhooks`]
//! need it.

pub mod form;
pub mod signature;
pub mod twiml;

#[cfg(feature = "http")]
mod caller;
#[cfg(feature = "http")]
mod calls;

#[cfg(feature = "http")]
pub use caller::HttpCaller;
#[cfg(feature = "http")]
pub use calls::{Hook, HookAnswer, Webhooks};

use crate::keys::KeyRules;
use std::time::Duration;

/// `[voice.http]` and what it shares with `[voice]`.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// The REST API's base, `https://api.twilio.com` (SignalWire:
    /// `https://SPACE.signalwire.com/api/laml`; jambonz: its own).
    pub api_base: String,
    pub account_sid: String,
    /// Signs the callbacks and authenticates the API calls.
    pub auth_token: String,
    /// The caller id (E.164) the provider calls from.
    pub from: String,
    /// Where the provider reaches this server (`public_url`); callbacks go
    /// to `{public_url}voice/v1/calls/{id}/...`.
    pub public_url: String,
    pub ring_timeout: Duration,
    pub key_timeout: Duration,
    pub keys: KeyRules,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            api_base: "https://api.twilio.com".into(),
            account_sid: String::new(),
            auth_token: String::new(),
            from: String::new(),
            public_url: String::new(),
            ring_timeout: Duration::from_secs(30),
            key_timeout: Duration::from_secs(30),
            keys: KeyRules::default(),
        }
    }
}

impl HttpConfig {
    /// Every problem at once, each saying what to change.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        let url = |v: &str| v.starts_with("https://") || v.starts_with("http://");
        if !url(&self.api_base) {
            out.push(format!(
                "voice.http.api_base {:?} is not an http(s) URL: e.g. https://api.twilio.com",
                self.api_base
            ));
        }
        if self.account_sid.trim().is_empty() || self.account_sid.contains(['/', '?', '#']) {
            out.push(
                "voice.http.account_sid is empty or has /?#: set the provider's account SID".into(),
            );
        }
        if self.auth_token.is_empty() {
            out.push("voice.http.auth_token is empty: set it (or auth_token_file); it signs every callback".into());
        }
        if self.from.trim().is_empty() {
            out.push("voice.http.from is empty: set the caller id the provider calls from (E.164, +15550001111)".into());
        }
        if !url(&self.public_url) {
            out.push("public_url is not set: the provider needs it to reach /voice/v1/ on this server (an https URL)".into());
        }
        if self.ring_timeout.is_zero() || self.key_timeout.is_zero() {
            out.push("voice ring and key timeouts must be longer than 0 seconds".into());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_are_listed_together() {
        let p = HttpConfig {
            api_base: "ftp://x".into(),
            ..HttpConfig::default()
        }
        .problems();
        assert_eq!(p.len(), 5, "{p:#?}");
        let ok = HttpConfig {
            account_sid: "AC1".into(),
            auth_token: "t".into(),
            from: "+15550001111".into(),
            public_url: "https://mfa.example/".into(),
            ..HttpConfig::default()
        };
        assert!(ok.problems().is_empty());
    }
}
