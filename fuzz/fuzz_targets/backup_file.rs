//! Backup files (`countersign restore FILE`): `decode` never panics, and
//! what it accepts re-encodes to the same file; its key entry reads without
//! a passphrase (a plain key gives its text, a sealed one asks for one).
//!
//! The passphrase's argon2id (19 MiB, 2 passes, about 50 ms) is left out:
//! it would make each execution thousands of times slower, and its cost is
//! fixed in the code (a file cannot choose it), so there is nothing for
//! arbitrary bytes to find there.
#![no_main]

use countersign_domain::crypto::backup::{self, BackupError, KeyEntry};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok((header, database)) = backup::decode(data) {
        assert_eq!(header.database_bytes, database.len() as u64);
        let again = backup::encode(header.clone(), database);
        let (reread, db) = backup::decode(&again).expect("an encoded file decodes");
        assert_eq!((&reread, db), (&header, database));
        match (&header.key, backup::key_text(&header.key, None)) {
            (KeyEntry::Plain { text }, Ok(read)) => assert_eq!(&read, text),
            (KeyEntry::Sealed { .. }, Err(BackupError::NeedsPassphrase)) => {}
            (entry, read) => panic!("{entry:?} read without a passphrase gave {read:?}"),
        }
    }
    // A file with the magic line and an arbitrary rest.
    let mut file = b"COUNTERSIGN BACKUP 1\n".to_vec();
    file.extend_from_slice(data);
    let _ = backup::decode(&file);
});
