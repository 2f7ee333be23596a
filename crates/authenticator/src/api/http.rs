//! The HTTP client under every call: TLS trust as configured, no redirects
//! (a signature covers one path), and failures turned into [`ClientError`]s
//! that say what is wrong.

use std::error::Error as StdError;
use std::time::Duration;

use countersign_device_proto::ErrorBody;
use reqwest::{Response, StatusCode};
use serde::de::DeserializeOwned;
use url::Url;

use super::error::ClientError;
use crate::tls::{self, ProblemSlot, Trust};

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Limit for ordinary calls; the event stream has none.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(30);

/// An HTTP client bound to one server.
#[derive(Debug, Clone)]
pub struct Http {
    pub(crate) client: reqwest::Client,
    pub(crate) base: Url,
    problems: Option<ProblemSlot>,
}

impl Http {
    /// A client for the server at `base` (ending in `/`) trusting `trust`
    /// when the URL is https.
    pub fn new(base: Url, trust: &Trust) -> Result<Http, ClientError> {
        let mut builder = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!(
                "countersign-authenticator/",
                env!("CARGO_PKG_VERSION")
            ));
        let mut problems = None;
        if base.scheme() == "https" {
            let (config, slot) =
                tls::client_config(trust).map_err(|e| ClientError::Setup(e.to_string()))?;
            builder = builder.use_preconfigured_tls(config);
            problems = Some(slot);
        }
        let client = builder
            .build()
            .map_err(|e| ClientError::Setup(e.to_string()))?;
        Ok(Http {
            client,
            base,
            problems,
        })
    }

    /// `path` (relative, e.g. `device/v1/activate`) below the base URL.
    pub fn url(&self, path: &str) -> Result<Url, ClientError> {
        self.base
            .join(path)
            .map_err(|e| ClientError::Setup(format!("cannot build the URL for {path}: {e}")))
    }

    /// Sends a request and maps transport failures.
    pub async fn send(
        &self,
        request: reqwest::RequestBuilder,
        url: &Url,
    ) -> Result<Response, ClientError> {
        request
            .send()
            .await
            .map_err(|e| self.transport_error(&e, url))
    }

    /// A transport failure in plain words (TLS diagnosis first).
    pub fn transport_error(&self, error: &reqwest::Error, url: &Url) -> ClientError {
        if let Some(text) = tls::explain(error, self.problems.as_ref()) {
            return ClientError::Tls(text);
        }
        let shown = url.as_str().to_owned();
        if error.is_timeout() {
            return ClientError::Timeout { url: shown };
        }
        if error.is_connect() {
            return ClientError::Connect {
                url: shown,
                reason: deepest_cause(error),
            };
        }
        ClientError::Request {
            url: shown,
            reason: deepest_cause(error),
        }
    }
}

/// The innermost message of an error chain ("Connection refused (os error 111)").
fn deepest_cause(error: &(dyn StdError + 'static)) -> String {
    let mut current = error;
    while let Some(next) = current.source() {
        current = next;
    }
    current.to_string()
}

/// A JSON answer for 2xx, else the server's error.
pub async fn json<T: DeserializeOwned>(response: Response, url: &Url) -> Result<T, ClientError> {
    let status = response.status();
    let body = response.bytes().await.map_err(|e| ClientError::Request {
        url: url.to_string(),
        reason: deepest_cause(&e),
    })?;
    if !status.is_success() {
        return Err(error_from(status, &body, url));
    }
    serde_json::from_slice(&body).map_err(|e| ClientError::Decode {
        url: url.to_string(),
        reason: e.to_string(),
    })
}

/// The error for a non-2xx answer: the API's shape, or the raw start.
pub fn error_from(status: StatusCode, body: &[u8], url: &Url) -> ClientError {
    match serde_json::from_slice::<ErrorBody>(body) {
        Ok(parsed) => ClientError::api(status, parsed.error.code, parsed.error.message),
        Err(_) => {
            let text = String::from_utf8_lossy(body);
            ClientError::Http {
                status: status.as_u16(),
                url: url.to_string(),
                body: text.chars().take(200).collect(),
            }
        }
    }
}
