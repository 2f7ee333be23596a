//! HTTP plumbing shared by the SMS gateways.

use std::time::Duration;

use reqwest::{Client, Response};
use url::Url;

use crate::error::{describe_chain, truncate_one_line, SendError};

/// How long a gateway may take to answer one request.
pub(crate) const TIMEOUT_SECONDS: u64 = 30;
/// How much of a gateway's answer goes into an error message.
const BODY_CHARS: usize = 300;
/// How much of a gateway's answer is read at all.
const BODY_BYTES: usize = 8 * 1024;

/// A client with timeouts and no redirects: a gateway that redirects is
/// misconfigured, and following it could resend credentials elsewhere.
pub(crate) fn client() -> Client {
    Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(TIMEOUT_SECONDS))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_else(|_| Client::new())
}

/// The URL as errors and logs may show it: no credentials, no query.
pub(crate) fn redact(url: &Url) -> String {
    let mut shown = url.clone();
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    shown.set_query(None);
    shown.set_fragment(None);
    shown.to_string()
}

/// A failed request (no HTTP answer) in words, never with the full URL.
pub(crate) fn request_error(gateway: &'static str, url: &Url, e: reqwest::Error) -> SendError {
    if e.is_timeout() {
        return SendError::GatewayTimeout {
            gateway,
            url: redact(url),
            seconds: TIMEOUT_SECONDS,
        };
    }
    let e = e.without_url();
    SendError::GatewayUnreachable {
        gateway,
        url: redact(url),
        reason: describe_chain(&e),
    }
}

/// The start of the answer's body, on one line.
pub(crate) async fn read_body(mut response: Response) -> String {
    let mut bytes = Vec::new();
    while bytes.len() < BODY_BYTES {
        match response.chunk().await {
            Ok(Some(chunk)) => bytes.extend_from_slice(&chunk),
            _ => break,
        }
    }
    truncate_one_line(&String::from_utf8_lossy(&bytes), BODY_CHARS)
}

/// The error for an answer that is not a success.
pub(crate) async fn refused(gateway: &'static str, url: &Url, response: Response) -> SendError {
    let status = response.status().as_u16();
    SendError::GatewayRefused {
        gateway,
        url: redact(url),
        status,
        body: read_body(response).await,
    }
}

/// Succeeds when anything answers HTTP at the URL's origin (`/`), which
/// sends nothing and needs no credentials.
pub(crate) async fn probe(
    client: &Client,
    gateway: &'static str,
    url: &Url,
) -> Result<(), SendError> {
    let mut origin = url.clone();
    origin.set_path("/");
    origin.set_query(None);
    let response = client
        .get(origin.clone())
        .send()
        .await
        .map_err(|e| request_error(gateway, &origin, e))?;
    tracing::debug!(gateway, url = %redact(&origin), status = %response.status(), "gateway answers");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacted_urls_keep_no_secrets() {
        let url = Url::parse("https://user:pw@sms.example.org:8443/send?key=secret#x").unwrap();
        assert_eq!(redact(&url), "https://sms.example.org:8443/send");
    }
}
