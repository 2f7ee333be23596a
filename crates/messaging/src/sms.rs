//! SMS: the message, the gateway settings and the [`SmsSender`].

use reqwest::Client;

use crate::error::SendError;
use crate::gateway_http::{self, HttpGatewayConfig};
use crate::kannel::{self, KannelConfig};
use crate::templates::GatewayTemplates;

/// One SMS. `to` is an international number in E.164 form (`+441632960123`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sms {
    pub to: String,
    pub text: String,
}

/// The `[sms]` settings: which gateway, and its own settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SmsConfig {
    Kannel(KannelConfig),
    Http(HttpGatewayConfig),
}

/// Sends SMS through the configured gateway.
#[derive(Debug, Clone)]
pub struct SmsSender {
    cfg: SmsConfig,
    client: Client,
    templates: GatewayTemplates,
}

impl SmsSender {
    pub fn new(cfg: SmsConfig) -> Self {
        Self {
            cfg,
            client: crate::http::client(),
            templates: GatewayTemplates::new(),
        }
    }

    /// Sends one SMS; the gateway must accept it (Kannel: `0: Accepted`
    /// or `3: Queued`; HTTP gateway: a success status).
    pub async fn send(&self, sms: &Sms) -> Result<(), SendError> {
        check_number(&sms.to)?;
        match &self.cfg {
            SmsConfig::Kannel(cfg) => kannel::send(&self.client, cfg, sms).await,
            SmsConfig::Http(cfg) => {
                gateway_http::send(&self.client, &self.templates, cfg, sms).await
            }
        }
    }

    /// Succeeds when the gateway answers HTTP at all (any status); sends
    /// nothing. For the HTTP gateway the templates are rendered first, so
    /// template mistakes show here too.
    pub async fn check(&self) -> Result<(), SendError> {
        match &self.cfg {
            SmsConfig::Kannel(cfg) => kannel::check(&self.client, cfg).await,
            SmsConfig::Http(cfg) => gateway_http::check(&self.client, &self.templates, cfg).await,
        }
    }
}

/// E.164: `+`, then up to 15 digits, the first not 0.
fn check_number(number: &str) -> Result<(), SendError> {
    let digits = number.strip_prefix('+').unwrap_or("");
    let valid = (6..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0');
    if valid {
        Ok(())
    } else {
        Err(SendError::BadPhoneNumber {
            number: number.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_must_be_e164() {
        assert!(check_number("+441632960123").is_ok());
        for bad in ["441632960123", "+44 1632 960123", "+0441632960", "+12", ""] {
            let err = check_number(bad).unwrap_err();
            assert!(err.is_permanent(), "{bad}");
        }
    }
}
