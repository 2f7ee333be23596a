//! PSKC parsing never panics, whatever the bytes and the key or password;
//! every seed it returns meets the import rules.
#![no_main]

use countersign_otp::import::pskc::{self, Protection};
use countersign_otp::import::{Parsed, MAX_SERIAL_CHARS};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The first byte picks what opens the container: nothing, the RFC 6030
    // figure 6 key, or the figure 7 password.
    let (choice, file) = data.split_first().unwrap_or((&0, data));
    let protection = match choice % 3 {
        0 => Protection::None,
        1 => Protection::Key(vec![
            0x12, 0x34, 0x56, 0x78, 0x90, 0x12, 0x34, 0x56, 0x78, 0x90, 0x12, 0x34, 0x56, 0x78,
            0x90, 0x12,
        ]),
        _ => Protection::Password("qwerty".into()),
    };
    let Ok(entries) = pskc::parse(file, &protection) else {
        return;
    };
    for entry in entries {
        assert!(entry.at >= 1);
        if let Parsed::Seed(seed) = entry.parsed {
            assert!(!seed.secret.is_empty() && seed.secret.len() <= 128);
            assert!((6..=8).contains(&seed.digits));
            assert!(seed.serial.chars().count() <= MAX_SERIAL_CHARS);
        }
    }
});
