//! The query parameters of an otpauth:// URI.

use std::ops::RangeInclusive;
use std::str::FromStr;

use super::{excerpt, percent, DEFAULT_DIGITS, DEFAULT_PERIOD};
use crate::algorithm::{Algorithm, Kind};
use crate::base32;
use crate::error::UriError;

const DIGITS: RangeInclusive<u32> = 6..=8;
const PERIOD: RangeInclusive<u64> = 1..=300;

/// The parameters, validated, with defaults applied.
pub(super) struct Params {
    pub secret: Vec<u8>,
    pub issuer: Option<String>,
    pub algorithm: Algorithm,
    pub digits: u32,
    pub period: u64,
    pub counter: Option<u64>,
}

/// The raw (still percent-encoded) values of the parameters we know.
#[derive(Default)]
struct Raw<'a> {
    secret: Option<&'a str>,
    issuer: Option<&'a str>,
    algorithm: Option<&'a str>,
    digits: Option<&'a str>,
    period: Option<&'a str>,
    counter: Option<&'a str>,
}

impl<'a> Raw<'a> {
    /// Collects known parameters (names in any case); ignores unknown ones
    /// such as `image`, and rejects a known one given twice.
    fn collect(query: &'a str) -> Result<Self, UriError> {
        let mut raw = Raw::default();
        for pair in query.split('&').filter(|pair| !pair.is_empty()) {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let (slot, name) = match name.to_ascii_lowercase().as_str() {
                "secret" => (&mut raw.secret, "secret"),
                "issuer" => (&mut raw.issuer, "issuer"),
                "algorithm" => (&mut raw.algorithm, "algorithm"),
                "digits" => (&mut raw.digits, "digits"),
                "period" => (&mut raw.period, "period"),
                "counter" => (&mut raw.counter, "counter"),
                _ => continue,
            };
            if slot.replace(value).is_some() {
                return Err(UriError::DuplicateParameter { name });
            }
        }
        Ok(raw)
    }
}

impl Params {
    /// Validates the query. For HOTP the period is ignored (and set to the
    /// default); for TOTP the counter is ignored (and set to `None`).
    pub(super) fn parse(query: &str, kind: Kind) -> Result<Params, UriError> {
        let raw = Raw::collect(query)?;
        let (period, counter) = match kind {
            Kind::Totp => (period(raw.period)?, None),
            Kind::Hotp | Kind::Yubico => (DEFAULT_PERIOD, Some(counter(raw.counter)?)),
        };
        Ok(Params {
            secret: secret(raw.secret)?,
            issuer: issuer(raw.issuer)?,
            algorithm: algorithm(raw.algorithm)?,
            digits: number(raw.digits, "digits", DIGITS, DEFAULT_DIGITS, "6, 7 or 8")?,
            period,
            counter,
        })
    }
}

fn value(raw: &str, name: &'static str) -> Result<String, UriError> {
    percent::decode(raw, true)
        .map(|v| v.trim().to_owned())
        .ok_or(UriError::BadParameterEncoding { name })
}

fn secret(raw: Option<&str>) -> Result<Vec<u8>, UriError> {
    let raw = raw.ok_or(UriError::MissingParameter {
        name: "secret",
        expected: "the base32 secret, e.g. secret=JBSWY3DPEHPK3PXP",
    })?;
    base32::decode(&value(raw, "secret")?).map_err(UriError::InvalidSecret)
}

fn issuer(raw: Option<&str>) -> Result<Option<String>, UriError> {
    let issuer = raw.map(|raw| value(raw, "issuer")).transpose()?;
    Ok(issuer.filter(|issuer| !issuer.is_empty()))
}

fn algorithm(raw: Option<&str>) -> Result<Algorithm, UriError> {
    let Some(raw) = raw else {
        return Ok(Algorithm::default());
    };
    let text = value(raw, "algorithm")?;
    text.parse().map_err(|_| UriError::InvalidParameter {
        name: "algorithm",
        value: excerpt(&text),
        expected: "SHA1, SHA256 or SHA512",
    })
}

fn period(raw: Option<&str>) -> Result<u64, UriError> {
    let expected = "a whole number of seconds from 1 to 300 (usually 30)";
    number(raw, "period", PERIOD, DEFAULT_PERIOD, expected)
}

fn counter(raw: Option<&str>) -> Result<u64, UriError> {
    let expected = "the HOTP counter, a whole number such as counter=0";
    let raw = raw.ok_or(UriError::MissingParameter {
        name: "counter",
        expected,
    })?;
    number(Some(raw), "counter", 0..=u64::MAX, 0, expected)
}

/// Parses a decimal parameter within `range`, or gives `default` if absent.
fn number<T>(
    raw: Option<&str>,
    name: &'static str,
    range: RangeInclusive<T>,
    default: T,
    expected: &'static str,
) -> Result<T, UriError>
where
    T: FromStr + PartialOrd,
{
    let Some(raw) = raw else {
        return Ok(default);
    };
    let text = value(raw, name)?;
    let digits_only = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    match text.parse::<T>() {
        Ok(n) if digits_only && range.contains(&n) => Ok(n),
        _ => Err(UriError::InvalidParameter {
            name,
            value: excerpt(&text),
            expected,
        }),
    }
}
