//! PIN mode: the device never sends or stores the PIN itself. At activation
//! it sends `pin_key = HMAC-SHA256(key = "countersign-pin", msg = PIN)`; on
//! each answer it proves knowledge of the PIN with
//! `pin_proof = HMAC-SHA256(pin_key, "countersign-pin:" + request id)`, which
//! is bound to one request, so a captured proof cannot be replayed.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use ring::hmac;

const PIN_KEY_LABEL: &[u8] = b"countersign-pin";
const PIN_PROOF_PREFIX: &str = "countersign-pin:";

fn hmac_sha256(key: &[u8], msg: &[u8]) -> [u8; 32] {
    let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), msg);
    let mut out = [0u8; 32];
    out.copy_from_slice(tag.as_ref());
    out
}

/// The 32-byte key derived from the PIN, as sent at activation.
pub fn pin_key(pin: &str) -> [u8; 32] {
    hmac_sha256(PIN_KEY_LABEL, pin.as_bytes())
}

/// `pin_key` in base64, the form of the activation body's `pin_key`.
pub fn pin_key_base64(pin: &str) -> String {
    STANDARD.encode(pin_key(pin))
}

/// The base64 proof of the PIN for one sign-in request.
pub fn pin_proof(pin: &str, request_id: &str) -> String {
    let msg = format!("{PIN_PROOF_PREFIX}{request_id}");
    STANDARD.encode(hmac_sha256(&pin_key(pin), msg.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    // Vectors computed independently with Python's hmac module.
    #[test]
    fn pin_key_vector() {
        assert_eq!(
            pin_key_base64("1234"),
            "13SIcKKRBmQjMqtiP9l0T1aOJvNrsY39IrKEKhx+LLM="
        );
    }

    #[test]
    fn pin_key_of_empty_pin_vector() {
        let hex: String = pin_key("").iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "5529f58cf98f03bd06b31ab3bbd26a516d800eafa25991a9075e4d97925c54cb"
        );
    }

    #[test]
    fn pin_proof_vector() {
        assert_eq!(
            pin_proof("1234", "req_42"),
            "EZVQPeW1k7/9KT7vf1eBFMXPmWGAr2DlO1b/0ZGtXm8="
        );
    }

    #[test]
    fn pin_proof_is_bound_to_the_request() {
        assert_ne!(pin_proof("1234", "req_1"), pin_proof("1234", "req_2"));
        assert_ne!(pin_proof("1234", "req_1"), pin_proof("1235", "req_1"));
    }
}
