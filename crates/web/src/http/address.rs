//! Where users and devices reach this server: the configured public URL,
//! or else the address a request came to; and the certificate pin the
//! command-line authenticator checks.

use axum::http::HeaderMap;
use countersign_domain::methods::push::activation::activation_uri;

#[derive(Debug, Clone, Default)]
pub struct ServiceAddress {
    /// `public_url` from the configuration.
    pub public_url: Option<String>,
    /// SHA-256 pin of the served certificate's key, when serving TLS.
    pub tls_pin: Option<String>,
}

impl ServiceAddress {
    /// `public_url`, or else the address this request came to (ending in `/`).
    pub fn url(&self, headers: &HeaderMap) -> String {
        if let Some(url) = &self.public_url {
            return if url.ends_with('/') {
                url.clone()
            } else {
                format!("{url}/")
            };
        }
        let host = headers
            .get("host")
            .and_then(|h| h.to_str().ok())
            .unwrap_or("localhost");
        let scheme = if self.tls_pin.is_some() {
            "https"
        } else {
            "http"
        };
        format!("{scheme}://{host}/")
    }

    /// `countersign://activate?...` for the code, with this server's pin.
    pub fn activation_uri(&self, url: &str, code: &str) -> String {
        activation_uri(url, code, self.tls_pin.as_deref())
    }
}
