//! The portal password: what a user signs in with when no directory is
//! configured, chosen after their first sign-in by a link. Every check
//! costs one argon2 verification, whether or not the user exists or has a
//! password, so the time of the answer tells a guesser nothing.

use super::Portal;
use crate::crypto::pin::{argon2id, argon2id_matches_pooled, dummy_hash};
use crate::model::error::DomainError;
use crate::model::portal::PortalAccount;
use crate::model::user::{is_principal, User};

/// The shortest portal password.
pub const MIN_USER_PASSWORD_CHARS: usize = 10;

/// Where users' passwords live when a directory is configured: the portal
/// then asks it instead of keeping passwords of its own.
#[async_trait::async_trait]
pub trait PasswordDirectory: Send + Sync {
    /// Whose directory password `password` is, by the name typed: the
    /// directory's username for them (a UPN typed on AD names its
    /// sAMAccountName user), `None` when wrong. Costs the same for unknown
    /// users (the implementation binds either way).
    async fn password_owner(
        &self,
        username: &str,
        password: &str,
    ) -> Result<Option<String>, DomainError>;
}

/// What proves a password change.
#[derive(Debug, Clone, Copy)]
pub enum PasswordProof<'a> {
    /// The current password as typed (ignored when there is none yet).
    Current(&'a str),
    /// The session was opened by a one-time link (a reset).
    Link,
}

impl Portal {
    /// The user when the password is theirs; `None` for every other case.
    pub async fn check_password(
        &self,
        username: &str,
        password: &str,
    ) -> Result<Option<User>, DomainError> {
        if let Some(directory) = &self.directory {
            // The directory's user, who may have typed another name for themselves (a UPN).
            return match directory.password_owner(username, password).await? {
                Some(name) if !is_principal(username) && !is_principal(&name) => {
                    Ok(self.store.user_by_name(&name).await?)
                }
                _ => Ok(None),
            };
        }
        let user = match is_principal(username) {
            true => None,
            false => self.store.user_by_name(username).await?,
        };
        let account = match &user {
            Some(user) => self.store.portal_account(&user.id).await?,
            None => None,
        };
        let hash = account
            .as_ref()
            .and_then(|a| a.password_hash.as_deref())
            .unwrap_or(dummy_hash());
        let matches =
            argon2id_matches_pooled(&self.pool, password, hash).await? && account.is_some();
        Ok(user.filter(|_| matches))
    }

    /// Whether the portal keeps passwords itself (no directory configured).
    pub fn own_passwords(&self) -> bool {
        self.directory.is_none()
    }

    pub async fn has_password(&self, user_id: &str) -> Result<bool, DomainError> {
        if self.directory.is_some() {
            return Ok(true);
        }
        let account = self.store.portal_account(user_id).await?;
        Ok(account.is_some_and(|a| a.password_hash.is_some()))
    }

    /// Sets the user's portal password; both fields must match. A user who
    /// already has one proves it first, unless the session was opened by a
    /// one-time link (an administrator's reset): a session left open on a
    /// shared computer cannot take the account over.
    pub async fn set_password(
        &self,
        user: &User,
        proof: PasswordProof<'_>,
        password: &str,
        again: &str,
    ) -> Result<(), DomainError> {
        if self.directory.is_some() {
            return Err(DomainError::invalid(
                "password",
                "your password is your organisation's network password: change it there",
            ));
        }
        if password.chars().count() < MIN_USER_PASSWORD_CHARS {
            return Err(DomainError::invalid(
                "password",
                format!("must be at least {MIN_USER_PASSWORD_CHARS} characters; a few words make a good one"),
            ));
        }
        if password.chars().count() > 200 {
            return Err(DomainError::invalid(
                "password",
                "must be at most 200 characters",
            ));
        }
        if password != again {
            return Err(DomainError::invalid(
                "password_again",
                "the two passwords are not the same; type them again",
            ));
        }
        if password.eq_ignore_ascii_case(&user.username) {
            return Err(DomainError::invalid(
                "password",
                "must not be your username",
            ));
        }
        let mut account = self.account(&user.id).await?;
        if let (Some(hash), PasswordProof::Current(current)) =
            (account.password_hash.as_deref(), proof)
        {
            if !argon2id_matches_pooled(&self.pool, current, hash).await? {
                tracing::info!(user = %user.username, "portal password change refused: the current password was wrong");
                return Err(DomainError::invalid(
                    "current",
                    "your current password is not right; type it again",
                ));
            }
        }
        // Hashing costs as much as checking: it takes a place in the hash lane too.
        let new = password.to_string();
        account.password_hash = Some(self.pool.hash(move || argon2id(&new, "password")).await??);
        account.updated_at = self.clock.now();
        self.store.put_portal_account(&account).await?;
        tracing::info!(user = %user.username, "portal password set");
        Ok(())
    }

    pub(crate) async fn account(&self, user_id: &str) -> Result<PortalAccount, DomainError> {
        Ok(self
            .store
            .portal_account(user_id)
            .await?
            .unwrap_or_else(|| PortalAccount {
                user_id: user_id.to_string(),
                ..PortalAccount::default()
            }))
    }
}
