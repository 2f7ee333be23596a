//! What can go wrong talking to the server, each with what to do.

use reqwest::StatusCode;

use crate::signing::KeyError;

/// A failed call to the server.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("{0}")]
    Tls(String),
    #[error("cannot reach the server at {url}: {reason}: check the URL and that the server is running and reachable from here")]
    Connect { url: String, reason: String },
    #[error("the server at {url} did not answer in time: try again, or check the network and the server")]
    Timeout { url: String },
    #[error("the server refused: {message} ({code}, HTTP {status}){}", hint(code))]
    Api {
        status: u16,
        code: String,
        message: String,
    },
    #[error("the server answered HTTP {status} to {url}, not in Countersign's error shape: is {url} a Countersign server (check the URL and any proxy in front)? Body starts: {body}")]
    Http {
        status: u16,
        url: String,
        body: String,
    },
    #[error("the server's answer to {url} is not what this authenticator understands ({reason}): is this a Countersign server, and are both up to date?")]
    Decode { url: String, reason: String },
    #[error("the request to {url} failed: {reason}")]
    Request { url: String, reason: String },
    #[error("cannot set up the connection: {0}")]
    Setup(String),
    #[error(transparent)]
    Key(#[from] KeyError),
}

impl ClientError {
    /// An API error from a status and error body.
    pub fn api(status: StatusCode, code: String, message: String) -> ClientError {
        ClientError::Api {
            status: status.as_u16(),
            code,
            message,
        }
    }

    /// The API error code, when the server sent one.
    pub fn code(&self) -> Option<&str> {
        match self {
            ClientError::Api { code, .. } => Some(code),
            _ => None,
        }
    }

    /// Errors that retrying cannot fix: the watch loop stops on them.
    pub fn is_permanent(&self) -> bool {
        match self {
            ClientError::Tls(_) | ClientError::Key(_) | ClientError::Setup(_) => true,
            ClientError::Api { code, .. } => matches!(
                code.as_str(),
                "device_unknown" | "signature_invalid" | "timestamp_stale" | "signature_missing"
            ),
            _ => false,
        }
    }

    /// Whether the server (not the network) refused or failed the call.
    pub fn is_http_status(&self) -> bool {
        matches!(self, ClientError::Api { .. } | ClientError::Http { .. })
    }
}

/// What to do about an API error code.
fn hint(code: &str) -> &'static str {
    match code {
        "activation_refused" => ": check the digits (each wrong try counts; after 10 the code is locked), or ask an administrator for a new activation code",
        // Servers before issue 24 told these apart.
        "activation_not_found" | "activation_used" | "activation_expired" | "activation_locked" => {
            ": ask an administrator for a new activation code"
        }
        "activation_code_wrong" => ": check the code (each wrong try counts; after 10 the code is locked)",
        "device_limit" => ": the user has the most devices allowed; an administrator can remove one (countersign device remove USER ID)",
        "device_unknown" => ": the server no longer knows this device (removed by an administrator?): activate again",
        "timestamp_stale" => ": this computer's clock differs from the server's by more than 5 minutes: set the clock (enable NTP)",
        "signature_invalid" | "signature_missing" => ": the store's key does not match the device the server has: activate again",
        "pin_required" => ": this user must choose a PIN: activate again with --pin PIN",
        _ => "",
    }
}
