//! Whether browsers reach this server over HTTPS: served here (TLS) or
//! through a TLS-terminating proxy whose `public_url` is https. Session
//! cookies follow it (`Secure`, `__Host-`), and so does
//! `Strict-Transport-Security`.

use axum::http::header::{HeaderValue, STRICT_TRANSPORT_SECURITY};
use axum::response::Response;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Transport {
    /// Browsers reach this server over HTTPS.
    pub https: bool,
    /// `http.hsts_max_age_seconds`; 0 sends no `Strict-Transport-Security`.
    pub hsts_max_age: u64,
}

impl Transport {
    /// The `Strict-Transport-Security` value, when browsers use HTTPS and
    /// it is not turned off.
    pub fn hsts(&self) -> Option<HeaderValue> {
        if !self.https || self.hsts_max_age == 0 {
            return None;
        }
        HeaderValue::from_str(&format!("max-age={}", self.hsts_max_age)).ok()
    }
}

/// Adds `hsts` (when some) to an answer that has none.
pub fn with_hsts(mut response: Response, hsts: Option<&HeaderValue>) -> Response {
    if let Some(value) = hsts {
        let headers = response.headers_mut();
        if !headers.contains_key(STRICT_TRANSPORT_SECURITY) {
            headers.insert(STRICT_TRANSPORT_SECURITY, value.clone());
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hsts_only_over_https_and_when_not_turned_off() {
        let year = Transport {
            https: true,
            hsts_max_age: 31_536_000,
        };
        assert_eq!(
            year.hsts().as_ref().and_then(|v| v.to_str().ok()),
            Some("max-age=31536000")
        );
        let plain = Transport {
            https: false,
            ..year
        };
        assert_eq!(plain.hsts(), None);
        let off = Transport {
            hsts_max_age: 0,
            ..year
        };
        assert_eq!(off.hsts(), None);
    }
}
