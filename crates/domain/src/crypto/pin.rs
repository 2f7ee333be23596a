//! User PINs for PIN + code (SMS, email, RADIUS): 4 to 12 digits, kept as
//! argon2id hashes, checked in constant time by argon2 itself.

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;

use crate::model::error::DomainError;

pub fn validate(pin: &str) -> Result<(), DomainError> {
    if (4..=12).contains(&pin.len()) && pin.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(DomainError::invalid("pin", "a PIN is 4 to 12 digits"))
    }
}

pub fn hash(pin: &str) -> Result<String, DomainError> {
    validate(pin)?;
    argon2id(pin, "pin")
}

pub fn matches(pin: &str, stored: &str) -> bool {
    argon2id_matches(pin, stored)
}

/// An argon2id PHC string for a secret (PIN, password) with a fresh salt.
pub(crate) fn argon2id(secret: &str, field: &str) -> Result<String, DomainError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(secret.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| DomainError::invalid(field, e.to_string()))
}

/// A real argon2id hash of a random secret, made once: checking a password
/// against it costs what checking a real one costs, so an unknown name or a
/// user without a password answers in the same time as a wrong password.
pub(crate) fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| {
        argon2id(&crate::model::ids::random_text(24), "password").unwrap_or_default()
    })
}

/// Checks a secret against an argon2id PHC string in constant time.
pub(crate) fn argon2id_matches(secret: &str, stored: &str) -> bool {
    PasswordHash::new(stored).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(secret.as_bytes(), &parsed)
            .is_ok()
    })
}

/// [`argon2id_matches`] on the work pool's hash lane: off the async
/// workers, bounded, and [`DomainError::Busy`] at once when the lane is full.
pub(crate) async fn argon2id_matches_pooled(
    pool: &crate::throttle::WorkPool,
    secret: &str,
    stored: &str,
) -> Result<bool, DomainError> {
    let (secret, stored) = (secret.to_string(), stored.to_string());
    pool.hash(move || argon2id_matches(&secret, &stored)).await
}

/// Splits what the user typed into PIN and code: the code is the last
/// `code_len` digits.
pub fn split(typed: &str, code_len: usize) -> Option<(&str, &str)> {
    let typed = typed.trim();
    (typed.len() > code_len && typed.is_char_boundary(typed.len() - code_len))
        .then(|| typed.split_at(typed.len() - code_len))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_hash_and_split() {
        let stored = hash("2468").expect("hash");
        assert!(stored.starts_with("$argon2id$"));
        assert!(matches("2468", &stored));
        assert!(!matches("2469", &stored));
        assert!(hash("12a4").is_err());
        assert_eq!(split("2468123456", 6), Some(("2468", "123456")));
        assert_eq!(split("123456", 6), None);
    }
}
