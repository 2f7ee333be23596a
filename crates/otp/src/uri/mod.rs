//! The otpauth:// Key URI format that authenticator apps scan:
//! `otpauth://TYPE/LABEL?PARAMETERS`, e.g.
//! `otpauth://totp/Example:alice@google.com?secret=JBSWY3DPEHPK3PXP&issuer=Example`.
//!
//! [`KeyUri::parse`] accepts what real apps and issuers emit; [`KeyUri::to_uri`]
//! writes one canonical form. Parsing normalises (issuer and account are
//! trimmed, an empty issuer is `None`, HOTP URIs get the default period and
//! TOTP URIs no counter), so a parsed value always survives `to_uri` and
//! `parse` unchanged.

mod params;
mod percent;

use crate::algorithm::{Algorithm, Kind};
use crate::base32;
pub use crate::error::UriError;
use params::Params;

/// Digits when the URI does not say (Google's Key URI format).
pub const DEFAULT_DIGITS: u32 = 6;
/// TOTP period in seconds when the URI does not say.
pub const DEFAULT_PERIOD: u64 = 30;

/// The contents of an otpauth:// URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyUri {
    pub kind: Kind,
    /// Who the account is with, shown by apps above the code.
    pub issuer: Option<String>,
    /// The user's account name, usually a user name or e-mail address.
    pub account: String,
    pub secret: Vec<u8>,
    pub algorithm: Algorithm,
    /// Code length; apps support 6 to 8.
    pub digits: u32,
    /// TOTP period in seconds; not written for HOTP.
    pub period: u64,
    /// HOTP counter; required for HOTP, ignored for TOTP.
    pub counter: Option<u64>,
}

impl KeyUri {
    /// Writes the URI: `otpauth://totp/Issuer:account?secret=BASE32&issuer=Issuer&algorithm=SHA1&digits=6&period=30`.
    ///
    /// Issuer and account are percent-encoded (space as `%20`, ':' as `%3A`).
    /// HOTP URIs carry `counter` (0 if `None`) instead of `period`. An empty
    /// issuer is left out.
    pub fn to_uri(&self) -> String {
        let issuer = self.issuer.as_deref().filter(|issuer| !issuer.is_empty());
        let mut uri = format!("otpauth://{}/", self.kind);
        if let Some(issuer) = issuer {
            uri.push_str(&percent::encode(issuer));
            uri.push(':');
        }
        uri.push_str(&percent::encode(&self.account));
        uri.push_str("?secret=");
        uri.push_str(&base32::encode(&self.secret));
        if let Some(issuer) = issuer {
            uri.push_str("&issuer=");
            uri.push_str(&percent::encode(issuer));
        }
        uri.push_str(&format!(
            "&algorithm={}&digits={}",
            self.algorithm, self.digits
        ));
        match self.kind {
            Kind::Totp => uri.push_str(&format!("&period={}", self.period)),
            Kind::Hotp => uri.push_str(&format!("&counter={}", self.counter.unwrap_or(0))),
            Kind::Yubico => {}
        }
        uri
    }

    /// Parses an otpauth:// URI.
    ///
    /// Accepts any case in the scheme and type, a label of `account` or
    /// `Issuer:account` (the colon may be `%3A`, a space may follow it),
    /// a lowercase or spaced secret, and ignores unknown parameters such as
    /// `image`. Rejects a missing or invalid secret, digits outside 6..=8,
    /// a period outside 1..=300, an unknown algorithm, HOTP without a
    /// counter, and an issuer parameter that disagrees with the label.
    pub fn parse(s: &str) -> Result<KeyUri, UriError> {
        let rest = strip_scheme(s.trim())?;
        let rest = rest.split('#').next().unwrap_or_default();
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        let (kind_text, raw_label) = path.split_once('/').unwrap_or((path, ""));
        let kind = kind_text
            .parse::<Kind>()
            .ok()
            .filter(|k| *k != Kind::Yubico)
            .ok_or_else(|| UriError::UnknownType {
                found: excerpt(kind_text),
            })?;
        let params = Params::parse(query, kind)?;
        let (label_issuer, account) = parse_label(raw_label, params.issuer.as_deref())?;
        Ok(KeyUri {
            kind,
            issuer: merge_issuer(label_issuer, params.issuer)?,
            account,
            secret: params.secret,
            algorithm: params.algorithm,
            digits: params.digits,
            period: params.period,
            counter: params.counter,
        })
    }
}

/// Returns what follows `otpauth:` (and its `//`), or why it is not there.
fn strip_scheme(s: &str) -> Result<&str, UriError> {
    let Some((scheme, rest)) = s.split_once(':') else {
        return Err(UriError::NotAUri);
    };
    if !scheme.eq_ignore_ascii_case("otpauth") {
        let looks_like_scheme = !scheme.is_empty()
            && scheme.len() <= 32
            && scheme
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b));
        return Err(if looks_like_scheme {
            UriError::NotOtpauth {
                found: scheme.to_owned(),
            }
        } else {
            UriError::NotAUri
        });
    }
    Ok(rest.strip_prefix("//").unwrap_or(rest))
}

/// Splits the label into (issuer, account), decoded and trimmed; an empty
/// issuer is `None`. The separator is the first literal ':'; an encoded
/// `%3A` separates only when what precedes it is the `issuer` parameter, so
/// an account containing an encoded colon keeps it.
fn parse_label(
    raw: &str,
    issuer_param: Option<&str>,
) -> Result<(Option<String>, String), UriError> {
    let (raw_issuer, raw_account) = match raw.split_once(':') {
        Some((issuer, account)) => (Some(issuer), account),
        None => split_encoded_colon(raw, issuer_param)?,
    };
    let issuer = match raw_issuer {
        Some(raw_issuer) => Some(decode_label(raw_issuer)?),
        None => None,
    };
    let issuer = issuer
        .map(|i| i.trim().to_owned())
        .filter(|i| !i.is_empty());
    let account = decode_label(raw_account)?.trim().to_owned();
    if account.is_empty() {
        return Err(UriError::MissingAccount);
    }
    Ok((issuer, account))
}

fn split_encoded_colon<'a>(
    raw: &'a str,
    issuer_param: Option<&str>,
) -> Result<(Option<&'a str>, &'a str), UriError> {
    let upper = raw.to_ascii_uppercase();
    let (Some(at), Some(param)) = (upper.find("%3A"), issuer_param) else {
        return Ok((None, raw));
    };
    // `at` is the index of an ASCII '%' in `upper`, which has the same byte
    // layout as `raw`, so both slices fall on character boundaries.
    let (prefix, account) = (&raw[..at], &raw[at + 3..]);
    let prefix_decoded = decode_label(prefix)?;
    if issuers_agree(prefix_decoded.trim(), param) {
        Ok((Some(prefix), account))
    } else {
        Ok((None, raw))
    }
}

/// Labels are path segments: '+' is a literal plus (as in `john+mfa@example.com`).
fn decode_label(raw: &str) -> Result<String, UriError> {
    percent::decode(raw, false).ok_or(UriError::BadLabelEncoding)
}

/// The `issuer` parameter wins, but must agree with the label's issuer.
fn merge_issuer(label: Option<String>, param: Option<String>) -> Result<Option<String>, UriError> {
    match (label, param) {
        (Some(label), Some(param)) if !issuers_agree(&label, &param) => {
            Err(UriError::IssuerMismatch {
                label: excerpt(&label),
                param: excerpt(&param),
            })
        }
        (label, param) => Ok(param.or(label)),
    }
}

/// Equal, or equal once '+' in the label is read as a space: some issuers
/// form-encode the label too, which the query decoder already undoes.
fn issuers_agree(label: &str, param: &str) -> bool {
    label == param || label.replace('+', " ") == param
}

/// A bounded piece of untrusted text for an error message.
fn excerpt(text: &str) -> String {
    const MAX_CHARS: usize = 40;
    match text.char_indices().nth(MAX_CHARS) {
        Some((end, _)) => format!("{}...", &text[..end]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests;
