//! Managing users and their tokens: the operations behind the admin API
//! and the operator CLI, with every rule checked once, here.

use std::sync::Arc;

use serde::Serialize;

use crate::crypto::SecretKey;
use crate::model::error::DomainError;
use crate::model::ids::new_id;
use crate::model::user::{self, NewUser, User, UserPatch, UserQuery};
use crate::ports::clock::Clock;
use crate::ports::AccountsPorts;

pub use crate::model::token_spec::TokenSpec;

mod tokens;
mod yubico;

/// Shown once, when the server generated the seed, so the user can enrol it.
#[derive(Debug, Clone, Serialize)]
pub struct Enrolment {
    pub secret: String,
    pub otpauth_uri: String,
}

#[derive(Clone)]
pub struct Accounts {
    store: Arc<dyn AccountsPorts>,
    clock: Arc<dyn Clock>,
    key: SecretKey,
    issuer: String,
}

impl Accounts {
    pub fn new(
        store: Arc<dyn AccountsPorts>,
        clock: Arc<dyn Clock>,
        key: SecretKey,
        issuer: String,
    ) -> Self {
        Self {
            store,
            clock,
            key,
            issuer,
        }
    }

    pub async fn create_user(&self, new: NewUser) -> Result<User, DomainError> {
        user::validate_username(&new.username)?;
        let mut created = self.blank_user(new.username);
        apply_profile(
            &mut created,
            Some(new.display_name),
            Some(new.email),
            Some(new.phone),
        )?;
        self.store
            .insert_user(&created)
            .await
            .map_err(|e| match e {
                crate::StoreError::Conflict(_) => DomainError::Conflict(format!(
                    "a user named '{}' already exists (usernames are unique ignoring case)",
                    created.username
                )),
                other => other.into(),
            })?;
        Ok(created)
    }

    fn blank_user(&self, username: String) -> User {
        User::blank(new_id("usr"), username, self.clock.now())
    }

    /// A user by name; administrators' principals are not users here.
    pub async fn user(&self, username: &str) -> Result<User, DomainError> {
        let found = match user::is_principal(username) {
            true => None,
            false => self.store.user_by_name(username).await?,
        };
        found.ok_or_else(|| DomainError::not_found("user", username))
    }

    /// The hidden user that carries administrator `name`'s second factor
    /// through the engine (`admin/NAME`), made on first use.
    pub async fn principal(&self, admin_name: &str) -> Result<User, DomainError> {
        let username = format!("{}{}", user::PRINCIPAL_PREFIX, admin_name);
        if let Some(found) = self.store.user_by_name(&username).await? {
            return Ok(found);
        }
        let created = self.blank_user(username.clone());
        match self.store.insert_user(&created).await {
            Ok(()) => Ok(created),
            // Another node made it first.
            Err(crate::StoreError::Conflict(_)) => self
                .store
                .user_by_name(&username)
                .await?
                .ok_or_else(|| DomainError::not_found("user", &username)),
            Err(e) => Err(e.into()),
        }
    }

    /// Clears the principal's failures and lock (`countersign admin unlock`).
    pub async fn unlock_principal(&self, admin_name: &str) -> Result<(), DomainError> {
        let owner = self.principal(admin_name).await?;
        Ok(self.store.clear_failures(&owner.id).await?)
    }

    /// Forgets the principal's second factor (a lost phone): its tokens go,
    /// its lock is lifted; the next sign-in enrols a new one.
    pub async fn reset_principal(&self, admin_name: &str) -> Result<(), DomainError> {
        let owner = self.principal(admin_name).await?;
        for token in self.store.tokens_of_user(&owner.id).await? {
            self.store.delete_token(&owner.id, &token.id).await?;
        }
        Ok(self.store.clear_failures(&owner.id).await?)
    }

    /// Removes the principal with the administrator.
    pub async fn remove_principal(&self, admin_name: &str) -> Result<(), DomainError> {
        let username = format!("{}{}", user::PRINCIPAL_PREFIX, admin_name);
        if let Some(found) = self.store.user_by_name(&username).await? {
            self.store.delete_user(&found.id).await?;
        }
        Ok(())
    }

    /// Replaces the principal's tokens with a new TOTP: shown once, to enrol.
    pub async fn enrol_principal(&self, admin_name: &str) -> Result<Enrolment, DomainError> {
        let owner = self.principal(admin_name).await?;
        for token in self.store.tokens_of_user(&owner.id).await? {
            self.store.delete_token(&owner.id, &token.id).await?;
        }
        let (_, enrolment) = self.add_token_to(&owner, TokenSpec::default()).await?;
        enrolment.ok_or_else(|| DomainError::invalid("token", "no seed was generated"))
    }

    pub async fn list_users(&self, mut query: UserQuery) -> Result<Vec<User>, DomainError> {
        query.limit = query.limit.clamp(1, user::MAX_PAGE);
        Ok(self.store.list_users(&query).await?)
    }

    pub async fn update_user(&self, username: &str, patch: UserPatch) -> Result<User, DomainError> {
        let mut found = self.user(username).await?;
        apply_profile(&mut found, patch.display_name, patch.email, patch.phone)?;
        if let Some(voice_phone) = patch.voice_phone {
            found.voice_phone = voice_phone
                .as_deref()
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(user::normalize_voice_phone)
                .transpose()?;
        }
        if let Some(enabled) = patch.enabled {
            found.enabled = enabled;
        }
        if let Some(setting) = patch.push_number_matching {
            found.push_number_matching = setting;
        }
        if let Some(setting) = patch.push_pin_required {
            found.push_pin_required = setting;
        }
        if let Some(setting) = patch.welcome_email {
            found.welcome_email = setting;
        }
        if let Some(setting) = patch.default_method {
            found.default_method = setting;
        }
        if let Some(setting) = patch.allowed_methods {
            if setting.as_ref().is_some_and(Vec::is_empty) {
                return Err(DomainError::invalid(
                    "allowed_methods",
                    "name at least one method, or null to let the user use every method they have",
                ));
            }
            found.allowed_methods = setting;
        }
        if let Some(language) = patch.language {
            let language = language
                .map(|l| l.trim().to_string())
                .filter(|l| !l.is_empty());
            if let Some(tag) = &language {
                user::validate_language(tag)?;
            }
            found.language = language;
        }
        found.updated_at = self.clock.now();
        self.store.update_user(&found).await?;
        Ok(found)
    }

    pub async fn set_enabled(&self, username: &str, enabled: bool) -> Result<User, DomainError> {
        let patch = UserPatch {
            enabled: Some(enabled),
            ..UserPatch::default()
        };
        self.update_user(username, patch).await
    }

    /// Lifts a lockout and clears the failure count.
    pub async fn unlock(&self, username: &str) -> Result<User, DomainError> {
        let mut found = self.user(username).await?;
        self.store.clear_failures(&found.id).await?;
        found.locked_until = None;
        found.failed_attempts = 0;
        Ok(found)
    }

    /// Grants a one-time bypass: the user's next sign-in within `seconds`
    /// passes without a second factor (audited as `bypassed`).
    pub async fn grant_bypass(
        &self,
        username: &str,
        seconds: i64,
        reason: &str,
    ) -> Result<User, DomainError> {
        let reason = validate_bypass(seconds, reason)?;
        let mut found = self.user(username).await?;
        let until = self.clock.now() + seconds;
        self.store
            .set_bypass(&found.id, Some((until, &reason)))
            .await?;
        found.bypass_until = Some(until);
        found.bypass_reason = Some(reason);
        Ok(found)
    }

    /// Withdraws a bypass that was not used yet.
    pub async fn revoke_bypass(&self, username: &str) -> Result<User, DomainError> {
        let mut found = self.user(username).await?;
        self.store.set_bypass(&found.id, None).await?;
        found.bypass_until = None;
        found.bypass_reason = None;
        Ok(found)
    }

    /// Sets the user's PIN (4 to 12 digits), kept as an argon2id hash.
    pub async fn set_pin(&self, username: &str, pin: Option<&str>) -> Result<(), DomainError> {
        let found = self.user(username).await?;
        let hashed = pin.map(crate::crypto::pin::hash).transpose()?;
        self.store.set_pin(&found.id, hashed.as_deref()).await?;
        Ok(())
    }

    pub async fn delete_user(&self, username: &str) -> Result<(), DomainError> {
        let found = self.user(username).await?;
        if self.store.delete_user(&found.id).await? {
            Ok(())
        } else {
            Err(DomainError::not_found("user", username))
        }
    }
}

/// Applies profile changes with validation: `None` keeps, `Some(None)` clears.
fn apply_profile(
    target: &mut User,
    display_name: Option<Option<String>>,
    email: Option<Option<String>>,
    phone: Option<Option<String>>,
) -> Result<(), DomainError> {
    if let Some(value) = display_name {
        let value = value.filter(|v| !v.trim().is_empty());
        if let Some(name) = &value {
            user::validate_display_name(name)?;
        }
        target.display_name = value;
    }
    if let Some(value) = email {
        let value = value
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty());
        if let Some(address) = &value {
            user::validate_email(address)?;
        }
        target.email = value;
    }
    if let Some(value) = phone {
        target.phone = match value.filter(|v| !v.trim().is_empty()) {
            Some(number) => Some(user::normalize_phone(&number)?),
            None => None,
        };
    }
    Ok(())
}

/// The longest one-time bypass: one day.
pub const MAX_BYPASS_SECONDS: i64 = 86_400;

fn validate_bypass(seconds: i64, reason: &str) -> Result<String, DomainError> {
    if !(1..=MAX_BYPASS_SECONDS).contains(&seconds) {
        return Err(DomainError::invalid(
            "seconds",
            format!("must be 1 to {MAX_BYPASS_SECONDS} (one day); MFA Server's default was 300"),
        ));
    }
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 200 || reason.chars().any(char::is_control) {
        return Err(DomainError::invalid(
            "reason",
            "say why in 1 to 200 characters (it is kept in the audit trail)",
        ));
    }
    Ok(reason.to_string())
}
