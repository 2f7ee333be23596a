//! base64url as WebAuthn's JSON carries binary values (RFC 4648 §5).

use base64::alphabet::URL_SAFE;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine;

use crate::error::WebauthnError;

/// Encodes without padding, decodes with or without it.
const ENGINE: GeneralPurpose = GeneralPurpose::new(
    &URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// base64url without padding, as `toJSON()` writes it.
pub fn encode(bytes: &[u8]) -> String {
    ENGINE.encode(bytes)
}

/// base64url with or without padding; `field` names the value in the error.
pub fn decode(text: &str, field: &'static str) -> Result<Vec<u8>, WebauthnError> {
    ENGINE
        .decode(text)
        .map_err(|_| WebauthnError::MalformedBase64 { field })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_padding() {
        assert_eq!(encode(&[0xfb, 0xff]), "-_8");
        assert_eq!(decode("-_8", "x"), Ok(vec![0xfb, 0xff]));
        assert_eq!(decode("-_8=", "x"), Ok(vec![0xfb, 0xff]));
        assert_eq!(decode("", "x"), Ok(vec![]));
    }

    #[test]
    fn refuses_standard_alphabet_and_junk() {
        let err = WebauthnError::MalformedBase64 { field: "id" };
        assert_eq!(decode("+/8", "id"), Err(err.clone()));
        assert_eq!(decode("a", "id"), Err(err.clone()));
        assert_eq!(decode("ab cd", "id"), Err(err));
    }
}
