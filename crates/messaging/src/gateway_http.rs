//! A generic HTTP SMS gateway: method, URL, headers and body are templates.

use std::fmt;

use reqwest::header::{HeaderName, HeaderValue};
use reqwest::{Client, Method, RequestBuilder};
use url::Url;

use crate::error::SendError;
use crate::http;
use crate::sms::Sms;
use crate::templates::GatewayTemplates;

const GATEWAY: &str = "the SMS gateway";

/// Settings for an HTTP SMS gateway (Twilio-style or in-house).
///
/// `url`, header values and `body` are templates rendered with `to` (the
/// number, E.164) and `text`. Nothing is escaped automatically: use
/// `{{ to|urlencode }}` inside URLs and `{{ text|tojson }}` inside JSON
/// bodies. `success_status` lists the HTTP statuses that mean "accepted";
/// without it any 2xx does.
#[derive(Clone, PartialEq, Eq)]
pub struct HttpGatewayConfig {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
    pub success_status: Option<Vec<u16>>,
}

impl fmt::Debug for HttpGatewayConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Header values and URLs often carry API keys: show names only.
        let names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("HttpGatewayConfig")
            .field("method", &self.method)
            .field("headers", &names)
            .field("body", &self.body.as_ref().map(|_| "<template>"))
            .field("success_status", &self.success_status)
            .finish_non_exhaustive()
    }
}

impl HttpGatewayConfig {
    fn method(&self) -> Result<Method, SendError> {
        let word = self.method.trim().to_ascii_uppercase();
        let word = if word.is_empty() {
            "POST".to_owned()
        } else {
            word
        };
        Method::from_bytes(word.as_bytes()).map_err(|_| {
            SendError::config(
                "sms.method",
                format!("{:?} is not an HTTP method", self.method),
            )
        })
    }

    fn accepts(&self, status: u16) -> bool {
        match &self.success_status {
            Some(list) => list.contains(&status),
            None => (200..300).contains(&status),
        }
    }

    /// The request for one SMS, and its URL (for error messages).
    fn request(
        &self,
        client: &Client,
        templates: &GatewayTemplates,
        sms: &Sms,
    ) -> Result<(RequestBuilder, Url), SendError> {
        let context = serde_json::json!({ "to": sms.to, "text": sms.text });
        let url = parse_url(&templates.render("sms.url", &self.url, &context)?)?;
        let mut request = client.request(self.method()?, url.clone());
        for (name, value) in &self.headers {
            let label = format!("sms.headers ({name})");
            let value = templates.render(&label, value, &context)?;
            request = request.header(header_name(name)?, header_value(name, &value)?);
        }
        if let Some(body) = &self.body {
            request = request.body(templates.render("sms.body", body, &context)?);
        }
        Ok((request, url))
    }
}

fn parse_url(rendered: &str) -> Result<Url, SendError> {
    Url::parse(rendered.trim())
        .map_err(|e| SendError::config("sms.url", format!("the template gives no valid URL ({e})")))
}

fn header_name(name: &str) -> Result<HeaderName, SendError> {
    HeaderName::from_bytes(name.trim().as_bytes()).map_err(|_| {
        SendError::config(
            "sms.headers",
            format!("{name:?} is not a valid HTTP header name"),
        )
    })
}

fn header_value(name: &str, value: &str) -> Result<HeaderValue, SendError> {
    HeaderValue::from_str(value.trim()).map_err(|_| {
        SendError::config(
            "sms.headers",
            format!("the template for {name} gives a value HTTP does not allow (a line break?)"),
        )
    })
}

pub(crate) async fn send(
    client: &Client,
    templates: &GatewayTemplates,
    cfg: &HttpGatewayConfig,
    sms: &Sms,
) -> Result<(), SendError> {
    let (request, url) = cfg.request(client, templates, sms)?;
    let response = request
        .send()
        .await
        .map_err(|e| http::request_error(GATEWAY, &url, e))?;
    if cfg.accepts(response.status().as_u16()) {
        tracing::debug!(url = %http::redact(&url), status = %response.status(), "SMS accepted by the gateway");
        return Ok(());
    }
    Err(http::refused(GATEWAY, &url, response).await)
}

/// Renders every template with a sample message, then asks the URL's origin.
pub(crate) async fn check(
    client: &Client,
    templates: &GatewayTemplates,
    cfg: &HttpGatewayConfig,
) -> Result<(), SendError> {
    let sample = Sms {
        to: "+15550000000".into(),
        text: "Countersign test".into(),
    };
    let (_, url) = cfg.request(client, templates, &sample)?;
    http::probe(client, GATEWAY, &url).await
}
