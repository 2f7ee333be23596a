//! The key pin an activation QR carries: `sha256/` + base64 of the SHA-256
//! of the server certificate's SubjectPublicKeyInfo.

use std::fmt;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use rustls_pki_types::CertificateDer;
use sha2::{Digest, Sha256};

const PREFIX: &str = "sha256/";

/// A SHA-256 SPKI pin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpkiPin([u8; 32]);

/// A pin that is not `sha256/` + base64 of 32 bytes.
#[derive(Debug, thiserror::Error)]
#[error("the key pin {0:?} is not valid: expected sha256/ followed by the base64 of 32 bytes (copy it again from the activation QR or link)")]
pub struct PinFormatError(pub String);

impl SpkiPin {
    /// Parses `sha256/BASE64`. Spaces are read as `+`, since a `+` in an
    /// unencoded URI query becomes a space on the way.
    pub fn parse(text: &str) -> Result<SpkiPin, PinFormatError> {
        let bad = || PinFormatError(text.to_owned());
        let b64 = text.trim().strip_prefix(PREFIX).ok_or_else(bad)?;
        let b64 = b64.replace(' ', "+");
        let raw = STANDARD.decode(b64.as_bytes()).map_err(|_| bad())?;
        let bytes: [u8; 32] = raw.try_into().map_err(|_| bad())?;
        Ok(SpkiPin(bytes))
    }

    /// The pin of a certificate's public key, or None when the certificate
    /// cannot be parsed.
    pub fn of_certificate(cert: &CertificateDer<'_>) -> Option<SpkiPin> {
        let parsed = webpki::EndEntityCert::try_from(cert).ok()?;
        let spki = parsed.subject_public_key_info();
        Some(SpkiPin(Sha256::digest(spki.as_ref()).into()))
    }

    /// The pin of a DER SubjectPublicKeyInfo.
    pub fn of_spki(spki_der: &[u8]) -> SpkiPin {
        SpkiPin(Sha256::digest(spki_der).into())
    }
}

impl fmt::Display for SpkiPin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{PREFIX}{}", STANDARD.encode(self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "sha256/47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";

    #[test]
    fn parses_and_displays_the_same_text() {
        let pin = SpkiPin::parse(SAMPLE).expect("valid");
        assert_eq!(pin.to_string(), SAMPLE);
    }

    #[test]
    fn a_plus_turned_into_a_space_is_repaired() {
        let mangled = SAMPLE.replace('+', " ");
        assert_eq!(
            SpkiPin::parse(&mangled).expect("valid"),
            SpkiPin::parse(SAMPLE).expect("valid")
        );
    }

    #[test]
    fn wrong_prefix_or_length_is_refused() {
        assert!(SpkiPin::parse("sha1/47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=").is_err());
        assert!(SpkiPin::parse("sha256/AAAA").is_err());
        let err = SpkiPin::parse("sha256/!!").expect_err("not base64");
        assert!(err.to_string().contains("activation QR"));
    }
}
