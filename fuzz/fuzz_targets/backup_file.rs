//! Backup files (`countersign restore FILE`): `decode` never panics, and
//! what it accepts re-encodes to the same file.
#![no_main]

use countersign_domain::backup;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok((header, database)) = backup::decode(data) {
        assert_eq!(header.database_bytes, database.len() as u64);
        let again = backup::encode(header.clone(), database);
        let (reread, db) = backup::decode(&again).expect("an encoded file decodes");
        assert_eq!((reread, db), (header, database));
    }
    // A file with the magic line and an arbitrary rest.
    let mut file = b"COUNTERSIGN BACKUP 1\n".to_vec();
    file.extend_from_slice(data);
    let _ = backup::decode(&file);
});
