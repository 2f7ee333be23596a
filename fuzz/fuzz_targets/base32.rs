//! base32 decoding never panics; encoding is decodable and canonical.
#![no_main]

use countersign_otp::base32;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Arbitrary bytes always encode to text that decodes back to them.
    let encoded = base32::encode(data);
    if data.is_empty() {
        assert!(encoded.is_empty());
    } else {
        assert_eq!(base32::decode(&encoded).as_deref(), Ok(data));
    }

    // Arbitrary text: if it decodes, re-encoding gives the same bytes.
    let text = String::from_utf8_lossy(data);
    if let Ok(bytes) = base32::decode(&text) {
        assert!(!bytes.is_empty());
        assert_eq!(base32::decode(&base32::encode(&bytes)), Ok(bytes));
    }
});
