//! Kannel's `sendsms` HTTP interface (smsbox).

use std::fmt;

use reqwest::Client;
use url::Url;

use crate::error::SendError;
use crate::http;
use crate::sms::Sms;

const GATEWAY: &str = "Kannel";

/// Settings for Kannel's smsbox: `url` is its sendsms address, such as
/// `http://127.0.0.1:13013/cgi-bin/sendsms`; `username` and `password`
/// are a `sendsms-user` of its configuration; `from` the sender shown.
#[derive(Clone, PartialEq, Eq)]
pub struct KannelConfig {
    pub url: String,
    pub username: String,
    pub password: String,
    pub from: Option<String>,
}

impl fmt::Debug for KannelConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KannelConfig")
            .field("url", &self.url)
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("from", &self.from)
            .finish()
    }
}

impl KannelConfig {
    fn base_url(&self) -> Result<Url, SendError> {
        Url::parse(self.url.trim()).map_err(|e| {
            SendError::config(
                "sms.url",
                format!(
                    "{:?} is not a URL ({e}): set it like http://127.0.0.1:13013/cgi-bin/sendsms",
                    self.url
                ),
            )
        })
    }

    /// `GET {url}?username=..&password=..&to=..&text=..[&from=..]`, every
    /// value percent-encoded (a `+` in the number must arrive as `+`).
    fn request_url(&self, sms: &Sms) -> Result<Url, SendError> {
        let mut url = self.base_url()?;
        {
            let mut query = url.query_pairs_mut();
            query
                .append_pair("username", &self.username)
                .append_pair("password", &self.password)
                .append_pair("to", &sms.to)
                .append_pair("text", &sms.text)
                .append_pair("charset", "UTF-8");
            // Plain text goes out as GSM 7-bit; anything else as UCS-2 so
            // that names and accents survive.
            if !sms.text.is_ascii() {
                query.append_pair("coding", "2");
            }
            if let Some(from) = self.from.as_deref().filter(|f| !f.trim().is_empty()) {
                query.append_pair("from", from.trim());
            }
        }
        Ok(url)
    }
}

pub(crate) async fn send(client: &Client, cfg: &KannelConfig, sms: &Sms) -> Result<(), SendError> {
    let url = cfg.request_url(sms)?;
    let response = client
        .get(url.clone())
        .send()
        .await
        .map_err(|e| http::request_error(GATEWAY, &url, e))?;
    let status = response.status();
    let body = http::read_body(response).await;
    // "0: Accepted for delivery" or "3: Queued for later delivery".
    if status.is_success() && (body.starts_with("0:") || body.starts_with("3:")) {
        tracing::debug!(url = %http::redact(&url), answer = %body, "SMS accepted by Kannel");
        return Ok(());
    }
    Err(SendError::GatewayRefused {
        gateway: GATEWAY,
        url: http::redact(&url),
        status: status.as_u16(),
        body,
    })
}

pub(crate) async fn check(client: &Client, cfg: &KannelConfig) -> Result<(), SendError> {
    http::probe(client, GATEWAY, &cfg.base_url()?).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_is_percent_encoded() {
        let cfg = KannelConfig {
            url: "http://127.0.0.1:13013/cgi-bin/sendsms".into(),
            username: "u&x".into(),
            password: "p w+".into(),
            from: Some("MFA".into()),
        };
        let sms = Sms {
            to: "+15550000001".into(),
            text: "Code: 12 & 34".into(),
        };
        let url = cfg.request_url(&sms).unwrap();
        assert_eq!(
            url.query().unwrap(),
            "username=u%26x&password=p+w%2B&to=%2B15550000001&text=Code%3A+12+%26+34\
             &charset=UTF-8&from=MFA"
        );
        assert!(!format!("{cfg:?}").contains("p w+"));
    }
}
