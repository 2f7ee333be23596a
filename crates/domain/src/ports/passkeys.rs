use crate::model::passkey::{StoredPasskey, WebauthnChallenge};
use crate::ports::StoreResult;
use async_trait::async_trait;

/// Passkeys (`webauthn_credentials`) and their ceremonies' challenges
/// (`webauthn_challenges`).
#[async_trait]
pub trait PasskeyStore: Send + Sync {
    /// A credential id already registered (to anyone) is a `Conflict`.
    async fn insert_passkey(&self, passkey: &StoredPasskey) -> StoreResult<()>;
    /// The user's passkeys, oldest first.
    async fn passkeys_of_user(&self, user_id: &str) -> StoreResult<Vec<StoredPasskey>>;
    async fn count_passkeys(&self, user_id: &str) -> StoreResult<usize>;
    /// By credential id (base64url).
    async fn passkey_by_credential_id(
        &self,
        credential_id: &str,
    ) -> StoreResult<Option<StoredPasskey>>;
    /// False when the user has no such passkey.
    async fn rename_passkey(
        &self,
        user_id: &str,
        credential_id: &str,
        name: &str,
    ) -> StoreResult<bool>;
    async fn delete_passkey(&self, user_id: &str, credential_id: &str) -> StoreResult<bool>;
    /// Compare-and-set of the signature counter: from `old` to `new` (and
    /// `last_used_at`, the backup state) only if it is still `old`.
    async fn advance_passkey(
        &self,
        passkey_id: &str,
        old: u32,
        new: u32,
        backup_state: bool,
        now: i64,
    ) -> StoreResult<bool>;
    /// Also removes challenges that expired before `now - 3600`.
    async fn insert_webauthn_challenge(&self, challenge: &WebauthnChallenge) -> StoreResult<()>;
    async fn webauthn_challenge(&self, id: &str) -> StoreResult<Option<WebauthnChallenge>>;
    /// Marks the challenge used if it is unused and unexpired at `now`:
    /// true for the one caller that wins.
    async fn take_webauthn_challenge(&self, id: &str, now: i64) -> StoreResult<bool>;
}
