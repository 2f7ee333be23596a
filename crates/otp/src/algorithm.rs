//! The names OATH uses: the HMAC hash ([`Algorithm`]) and the token type
//! ([`Kind`]).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize};

use crate::error::OtpError;

/// The HMAC hash function of an OATH token (RFC 6238 section 1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Algorithm {
    /// HMAC-SHA-1, the RFC 4226 default and what every app supports.
    #[default]
    Sha1,
    Sha256,
    Sha512,
}

impl fmt::Display for Algorithm {
    /// Writes the name used in otpauth:// URIs: `SHA1`, `SHA256`, `SHA512`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Algorithm::Sha1 => "SHA1",
            Algorithm::Sha256 => "SHA256",
            Algorithm::Sha512 => "SHA512",
        })
    }
}

impl FromStr for Algorithm {
    type Err = OtpError;

    /// Parses `sha1`, `SHA1`, `SHA-1`, `sha_256`, ... in any case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let normalized: String = s
            .trim()
            .chars()
            .filter(|c| !matches!(c, '-' | '_'))
            .map(|c| c.to_ascii_uppercase())
            .collect();
        match normalized.as_str() {
            "SHA1" => Ok(Algorithm::Sha1),
            "SHA256" => Ok(Algorithm::Sha256),
            "SHA512" => Ok(Algorithm::Sha512),
            _ => Err(OtpError::UnknownAlgorithm {
                value: s.to_owned(),
            }),
        }
    }
}

/// The type of token: OATH time-based (RFC 6238) or counter-based (RFC
/// 4226), or a YubiKey's Yubico OTP ([`crate::yubico`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Totp,
    Hotp,
    Yubico,
}

impl fmt::Display for Kind {
    /// Writes `totp` or `hotp`, as in otpauth:// URIs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Kind::Totp => "totp",
            Kind::Hotp => "hotp",
            Kind::Yubico => "yubico",
        })
    }
}

impl FromStr for Kind {
    type Err = OtpError;

    /// Parses `totp`, `hotp` or `yubico` in any case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let trimmed = s.trim();
        if trimmed.eq_ignore_ascii_case("totp") {
            Ok(Kind::Totp)
        } else if trimmed.eq_ignore_ascii_case("hotp") {
            Ok(Kind::Hotp)
        } else if trimmed.eq_ignore_ascii_case("yubico") {
            Ok(Kind::Yubico)
        } else {
            Err(OtpError::UnknownKind {
                value: s.to_owned(),
            })
        }
    }
}

/// Reads `"SHA256"`, `"sha256"`, `"SHA-256"`, ... (the spellings of
/// otpauth URIs and oathtool), as [`FromStr`] does; written lowercase.
impl<'de> Deserialize<'de> for Algorithm {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// Reads `"totp"`, `"hotp"` or `"yubico"` in any case; written lowercase.
impl<'de> Deserialize<'de> for Kind {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn algorithm_names_round_trip() {
        for alg in [Algorithm::Sha1, Algorithm::Sha256, Algorithm::Sha512] {
            assert_eq!(alg.to_string().parse::<Algorithm>(), Ok(alg));
            assert_eq!(alg.to_string().to_lowercase().parse::<Algorithm>(), Ok(alg));
        }
    }

    #[test]
    fn algorithm_accepts_common_spellings() {
        assert_eq!("SHA-1".parse::<Algorithm>(), Ok(Algorithm::Sha1));
        assert_eq!("sha-256".parse::<Algorithm>(), Ok(Algorithm::Sha256));
        assert_eq!("Sha512".parse::<Algorithm>(), Ok(Algorithm::Sha512));
        assert_eq!(Algorithm::default(), Algorithm::Sha1);
    }

    #[test]
    fn algorithm_rejects_unknown_names() {
        let err = "md5".parse::<Algorithm>().expect_err("md5 is not OATH");
        assert_eq!(
            err,
            OtpError::UnknownAlgorithm {
                value: "md5".into()
            }
        );
        assert!(err.to_string().contains("SHA1, SHA256 or SHA512"));
        assert!("SHA".parse::<Algorithm>().is_err());
        assert!("".parse::<Algorithm>().is_err());
    }

    #[test]
    fn kind_names_round_trip() {
        for kind in [Kind::Totp, Kind::Hotp] {
            assert_eq!(kind.to_string().parse::<Kind>(), Ok(kind));
            assert_eq!(kind.to_string().to_uppercase().parse::<Kind>(), Ok(kind));
        }
        assert!(matches!(
            "motp".parse::<Kind>(),
            Err(OtpError::UnknownKind { .. })
        ));
    }

    #[test]
    fn inputs_deserialize_in_any_case() {
        use serde::de::value::{Error, StrDeserializer};
        use serde::de::IntoDeserializer;
        let alg = |text: &'static str| {
            let input: StrDeserializer<'_, Error> = text.into_deserializer();
            Algorithm::deserialize(input)
        };
        assert_eq!(alg("SHA256").ok(), Some(Algorithm::Sha256));
        assert_eq!(alg("sha512").ok(), Some(Algorithm::Sha512));
        assert_eq!(alg("Sha-1").ok(), Some(Algorithm::Sha1));
        let err = alg("md5").expect_err("md5 is not OATH").to_string();
        assert!(err.contains("SHA1, SHA256 or SHA512"), "{err}");
        let kind = |text: &'static str| {
            let input: StrDeserializer<'_, Error> = text.into_deserializer();
            Kind::deserialize(input)
        };
        assert_eq!(kind("TOTP").ok(), Some(Kind::Totp));
        assert_eq!(kind("Hotp").ok(), Some(Kind::Hotp));
        assert!(kind("motp").is_err());
    }
}
