//! The HTTP voice provider (`[voice] provider = "http"`): the API takes the
//! account, and `public_url` is one the provider can call back (https).
//! (SIP over TLS: `voice.trunk` in voice.rs handshakes with `tls::check`.)

use async_trait::async_trait;
use countersign_domain::ports::diagnostics::Finding;
use countersign_voice::http::HttpCaller;

use super::{Check, Doctor};
use crate::config::voice::VoiceProvider;
use crate::config::Config;

pub fn register(doctor: &mut Doctor) {
    doctor.register(Box::new(VoiceHttpCheck));
}

struct VoiceHttpCheck;

#[async_trait]
impl Check for VoiceHttpCheck {
    async fn run(&self, config: &Config) -> Vec<Finding> {
        let http = match config.voice.as_ref().map(|v| &v.provider) {
            Some(VoiceProvider::Http(http)) => http,
            _ => return Vec::new(),
        };
        let mut findings = Vec::new();
        let url = &http.public_url;
        findings.push(if url.starts_with("https://") {
            Finding::pass(
                "voice.http.callbacks",
                format!("the provider calls back to {url}voice/v1/ (signed, X-Twilio-Signature)"),
            )
        } else {
            Finding::warn(
                "voice.http.callbacks",
                format!("public_url {url} is not https: the provider's callbacks (and the keys pressed) travel in clear, and Twilio refuses plain http by default"),
                "serve HTTPS (tls.cert) or put a TLS proxy in front, and set public_url to its https URL",
            )
        });
        findings.push(match HttpCaller::new((**http).clone()) {
            Ok(caller) => match caller.check_account().await {
                Ok(words) => Finding::pass("voice.http.account", words),
                Err(words) => Finding::fail(
                    "voice.http.account",
                    words,
                    "check voice.http.api_base, account_sid and auth_token",
                ),
            },
            Err(e) => Finding::fail("voice.http.account", e.to_string(), "correct [voice.http]"),
        });
        findings
    }
}
