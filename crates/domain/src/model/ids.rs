//! Identifiers made by the application, not the database, so that a row's
//! id is known before it is written (secrets are sealed to their row id)
//! and any node can make one.

use rand::RngCore;

const ALPHABET: &[u8; 32] = b"abcdefghijkmnpqrstuvwxyz23456789";

/// A new random id such as `tok_k3x9...`: the prefix names the kind of thing.
pub fn new_id(prefix: &str) -> String {
    format!("{prefix}_{}", random_text(16))
}

/// `len` random characters from an unambiguous lower-case alphabet (80 bits for 16).
pub fn random_text(len: usize) -> String {
    let mut bytes = vec![0u8; len];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes
        .iter()
        .map(|b| ALPHABET[(*b & 31) as usize] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn ids_are_prefixed_and_distinct() {
        let a = super::new_id("tok");
        let b = super::new_id("tok");
        assert!(a.starts_with("tok_") && a.len() == 20);
        assert_ne!(a, b);
    }
}
