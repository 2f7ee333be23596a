//! What an activation starts from: the `countersign://activate?url=..&code=..&pin=..`
//! link in the QR code, or a URL and code typed by hand.

use url::Url;

use crate::tls::spki::{PinFormatError, SpkiPin};

/// Digits in an activation code (shown in groups of 4).
pub const CODE_DIGITS: usize = 16;

/// A server to activate against, with the one-time code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activation {
    /// The server's base URL, ending in `/`.
    pub url: Url,
    /// The 16 digits, without spaces.
    pub code: String,
    /// The server key pin, when the link carries one.
    pub pin: Option<SpkiPin>,
}

/// Why an activation link, URL or code is not usable.
#[derive(Debug, thiserror::Error)]
pub enum ActivationError {
    #[error("{0:?} is not an activation link: expected countersign://activate?url=...&code=... (scan the QR again or copy the whole link)")]
    NotAnActivationUri(String),
    #[error(
        "the activation link has no {0}: copy the whole link, or give --url and --code instead"
    )]
    Missing(&'static str),
    #[error(
        "the server URL {url:?} is not valid ({reason}): expected e.g. https://mfa.example.org/"
    )]
    BadUrl { url: String, reason: String },
    #[error("the server URL {0:?} must start with https:// (or http:// for a test server)")]
    BadScheme(String),
    #[error("the activation code may hold only digits and spaces (got {0:?})")]
    CodeNotDigits(String),
    #[error(
        "the activation code has {0} digits; it has {CODE_DIGITS} (shown in groups of 4): check it"
    )]
    CodeLength(usize),
    #[error(transparent)]
    Pin(#[from] PinFormatError),
}

impl Activation {
    /// Parses the activation link from the QR code.
    pub fn from_uri(text: &str) -> Result<Activation, ActivationError> {
        let not_ours = || ActivationError::NotAnActivationUri(text.to_owned());
        let uri = Url::parse(text.trim()).map_err(|_| not_ours())?;
        if uri.scheme() != "countersign" || uri.host_str() != Some("activate") {
            return Err(not_ours());
        }
        let (mut url, mut code, mut pin) = (None, None, None);
        for (name, value) in uri.query_pairs() {
            match name.as_ref() {
                "url" => url = Some(value.into_owned()),
                "code" => code = Some(value.into_owned()),
                "pin" => pin = Some(value.into_owned()),
                _ => {}
            }
        }
        let url = url.ok_or(ActivationError::Missing("server url (url=)"))?;
        let code = code.ok_or(ActivationError::Missing("activation code (code=)"))?;
        let pin = pin.as_deref().map(SpkiPin::parse).transpose()?;
        Activation::new(&url, &code, pin)
    }

    /// An activation from a URL and code typed by hand.
    pub fn new(url: &str, code: &str, pin: Option<SpkiPin>) -> Result<Activation, ActivationError> {
        Ok(Activation {
            url: server_url(url)?,
            code: normalize_code(code)?,
            pin,
        })
    }
}

/// The server's base URL, checked, always ending in `/` so that
/// `device/v1/...` joins below it.
pub fn server_url(text: &str) -> Result<Url, ActivationError> {
    let mut url = Url::parse(text.trim()).map_err(|e| ActivationError::BadUrl {
        url: text.to_owned(),
        reason: e.to_string(),
    })?;
    if !matches!(url.scheme(), "https" | "http") || url.host_str().is_none() {
        return Err(ActivationError::BadScheme(text.to_owned()));
    }
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    url.set_query(None);
    url.set_fragment(None);
    Ok(url)
}

/// The code without the spaces (or dashes) of its printed groups.
pub fn normalize_code(text: &str) -> Result<String, ActivationError> {
    let digits: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    if digits.is_empty() {
        return Err(ActivationError::Missing("activation code"));
    }
    if !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err(ActivationError::CodeNotDigits(text.to_owned()));
    }
    if digits.len() != CODE_DIGITS {
        return Err(ActivationError::CodeLength(digits.len()));
    }
    Ok(digits)
}

#[cfg(test)]
#[path = "activation_tests.rs"]
mod tests;
