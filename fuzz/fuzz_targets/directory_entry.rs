//! A search result entry from the directory, as BER bytes: read or refused,
//! never a panic (ldap3's own reader panics on malformed entries).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = countersign_directory::DirEntry::from_ber(data);
});
