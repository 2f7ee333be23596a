//! PIN + code: the PIN part of what was typed, checked (argon2id) on the
//! node's work pool so that a flood of guesses cannot hold the async
//! workers, and refused at once as busy when the pool is full.

use crate::model::error::DomainError;
use crate::model::token::StoredToken;
use crate::model::user::User;
use crate::signin::verifier::{typed_code, Verifier};

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
