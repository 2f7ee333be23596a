//! PIN + code: the PIN part of what was typed, checked (argon2id) on the
//! node's work pool so that a flood of guesses cannot hold the async
//! workers, and refused at once as busy when the pool is full.

use crate::model::error::DomainError;
use crate::model::token::StoredToken;
use crate::model::user::User;
use crate::signin::verifier::Verifier;
use countersign_otp::Kind;

impl Verifier {
    /// Whether the PIN part of what was typed is the user's PIN (`None`: the
    /// user has no PIN, or nothing can be split off). argon2id runs on the
    /// work pool's hash lane; a full lane is [`DomainError::Busy`].
    pub(super) async fn check_pin(
        &self,
        user: &User,
        tokens: &[StoredToken],
        code: &str,
    ) -> Result<Option<bool>, DomainError> {
        let Some(stored) = &user.pin_hash else {
            return Ok(None);
        };
        let (code, digits) = typed_code(tokens, code);
        match crate::crypto::pin::split(&code, digits) {
            Some((pin, _)) => Ok(Some(self.pin_matches(pin, stored).await?)),
            None => Ok(None),
        }
    }

    /// A PIN against its argon2id hash, on the work pool's hash lane.
    pub(crate) async fn pin_matches(&self, pin: &str, stored: &str) -> Result<bool, DomainError> {
        let (pin, stored) = (pin.to_string(), stored.to_string());
        let matches = move || crate::crypto::pin::matches(&pin, &stored);
        self.pool.hash(matches).await
    }
}

/// What was typed without spaces, and how many of its last characters are
/// the code when a PIN comes first: the digits of the user's first token of
/// the kind typed (a YubiKey types modhex letters; OATH codes are digits).
pub(super) fn typed_code(tokens: &[StoredToken], typed: &str) -> (String, usize) {
    let code: String = typed.chars().filter(|c| !c.is_whitespace()).collect();
    let yubico = countersign_otp::yubico::ends_like_otp(&code);
    let digits = tokens
        .iter()
        .find(|t| (t.kind == Kind::Yubico) == yubico)
        .map_or(6, |t| t.digits as usize);
    (code, digits)
}
