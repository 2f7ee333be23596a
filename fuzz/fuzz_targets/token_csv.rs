//! Token CSV (and YubiKey log) parsing never panics; entries come in line
//! order and every seed meets the import rules.
#![no_main]

use countersign_otp::import::{csv, Parsed, MAX_SERIAL_CHARS};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(entries) = csv::parse(data) else {
        return;
    };
    let mut last = 0;
    for entry in entries {
        assert!(entry.at > last, "lines in order");
        last = entry.at;
        if let Parsed::Seed(seed) = entry.parsed {
            assert!(!seed.secret.is_empty() && seed.secret.len() <= 128);
            assert!((6..=8).contains(&seed.digits));
            assert!(!seed.serial.trim().is_empty());
            assert!(seed.serial.chars().count() <= MAX_SERIAL_CHARS);
        }
    }
    // The secret decoder alone, and the YubiKey log reader, on the same bytes.
    let _ = csv::secret(&String::from_utf8_lossy(data));
    if let Ok(entries) = countersign_otp::import::yubico::parse(data) {
        for entry in entries {
            if let Parsed::Seed(seed) = entry.parsed {
                assert_eq!(seed.secret.len(), 22, "AES key and private id");
            }
        }
    }
});
