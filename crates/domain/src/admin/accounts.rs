//! Managing users and their tokens: the operations behind the admin API
//! and the operator CLI, with every rule checked once, here.

use std::sync::Arc;

use countersign_otp::{base32, uri::KeyUri, Algorithm, Kind};
use serde::Serialize;

use crate::crypto::SecretKey;
use crate::model::error::DomainError;
use crate::model::ids::new_id;
use crate::model::token::{StoredToken, Token};
use crate::model::user::{self, NewUser, User, UserPatch, UserQuery};
use crate::ports::clock::Clock;
use crate::ports::Store;

pub use crate::model::token_spec::TokenSpec;

#[path = "accounts_tokens.rs"]
mod tokens;
#[path = "accounts_yubico.rs"]
mod yubico;

/// Shown once, when the server generated the seed, so the user can enrol it.
#[derive(Debug, Clone, Serialize)]
pub struct Enrolment {
    pub secret: String,
    pub otpauth_uri: String,
}

#[derive(Clone)]
pub struct Accounts {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    key: SecretKey,
    issuer: String,
}

impl Accounts {
    pub fn new(
        store: Arc<dyn Store>,
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

    /// Adds an OATH token; returns the enrolment data once when the seed was generated here.
    pub async fn add_token(
        &self,
        username: &str,
        spec: TokenSpec,
    ) -> Result<(Token, Option<Enrolment>), DomainError> {
        let found = self.user(username).await?;
        self.add_token_to(&found, spec).await
    }

    async fn add_token_to(
        &self,
        found: &User,
        spec: TokenSpec,
    ) -> Result<(Token, Option<Enrolment>), DomainError> {
        if spec.assignment()?.is_some() {
            return Err(DomainError::invalid(
                "serial",
                "pool tokens are assigned by the token pool",
            ));
        }
        if spec.kind == Some(Kind::Yubico) {
            return Ok((self.add_yubikey(found, &spec).await?, None));
        }
        let params = TokenParams::from_spec(&spec)?;
        let (secret, generated) = match &spec.secret {
            Some(text) => (decode_secret(text)?, false),
            None => (
                countersign_otp::generate_secret(countersign_otp::DEFAULT_SECRET_BYTES),
                true,
            ),
        };
        let id = new_id("tok");
        let stored = StoredToken {
            sealed_secret: self.key.seal("tokens", &id, "secret", &secret),
            id,
            user_id: found.id.clone(),
            kind: params.kind,
            algorithm: params.algorithm,
            digits: params.digits,
            period: params.period,
            last_used: params.first_counter - 1,
            drift: 0,
            created_at: self.clock.now(),
            last_used_at: None,
            serial: None,
            issuer: None,
        };
        self.store.insert_token(&stored).await?;
        let enrolment = if generated {
            Some(Enrolment {
                secret: base32::encode(&secret),
                otpauth_uri: self.key_uri(found, &params, secret).to_uri(),
            })
        } else {
            None
        };
        Ok((stored.view(), enrolment))
    }

    /// A new TOTP seed and its `otpauth://` URI for `owner`, not saved yet:
    /// the portal saves it only once the user's app shows the right code.
    pub fn propose_totp(&self, owner: &User) -> Result<Enrolment, DomainError> {
        let params = TokenParams::from_spec(&TokenSpec::default())?;
        let secret = countersign_otp::generate_secret(countersign_otp::DEFAULT_SECRET_BYTES);
        Ok(Enrolment {
            secret: base32::encode(&secret),
            otpauth_uri: self.key_uri(owner, &params, secret).to_uri(),
        })
    }

    /// Saves a proposed TOTP seed if `code` is its current code (one step
    /// either side allowed for a slow typist); the code is then used up.
    /// `None` when the code does not match: nothing is saved.
    pub async fn confirm_totp(
        &self,
        owner: &User,
        secret: &str,
        code: &str,
    ) -> Result<Option<Token>, DomainError> {
        let seed = decode_secret(secret)?;
        let code: String = code.chars().filter(|c| c.is_ascii_digit()).collect();
        let now = self.clock.now().max(0) as u64;
        let step = countersign_otp::totp_step(now, 30);
        let matched = [step.saturating_sub(1), step, step + 1]
            .into_iter()
            .find(|s| {
                let expected = countersign_otp::hotp(&seed, *s, 6, Algorithm::Sha1);
                countersign_otp::code_matches(&expected, &code)
            });
        let Some(matched) = matched else {
            return Ok(None);
        };
        let spec = TokenSpec {
            secret: Some(secret.to_string()),
            ..TokenSpec::default()
        };
        let (token, _) = self.add_token_to(owner, spec).await?;
        self.store
            .advance_token(&token.id, matched as i64, 0, self.clock.now())
            .await?;
        Ok(Some(token))
    }

    fn key_uri(&self, owner: &User, params: &TokenParams, secret: Vec<u8>) -> KeyUri {
        KeyUri {
            kind: params.kind,
            issuer: Some(self.issuer.clone()),
            account: owner.username.clone(),
            secret,
            algorithm: params.algorithm,
            digits: params.digits,
            period: params.period,
            counter: (params.kind == Kind::Hotp).then_some(params.first_counter as u64),
        }
    }
}

struct TokenParams {
    kind: Kind,
    algorithm: Algorithm,
    digits: u32,
    period: u64,
    first_counter: i64,
}

impl TokenParams {
    fn from_spec(spec: &TokenSpec) -> Result<Self, DomainError> {
        let kind = spec.kind.unwrap_or(Kind::Totp);
        let digits = spec.digits.unwrap_or(6);
        if !(6..=8).contains(&digits) {
            return Err(DomainError::invalid("digits", "must be 6, 7 or 8"));
        }
        let period = spec.period.unwrap_or(30);
        if kind == Kind::Totp && !(period == 30 || period == 60) {
            return Err(DomainError::invalid("period", "must be 30 or 60 seconds"));
        }
        if kind == Kind::Totp && spec.counter.is_some() {
            return Err(DomainError::invalid(
                "counter",
                "only HOTP tokens have a counter",
            ));
        }
        let first_counter = spec.counter.unwrap_or(0);
        if first_counter > i64::MAX as u64 / 2 {
            return Err(DomainError::invalid("counter", "is too large"));
        }
        Ok(Self {
            kind,
            algorithm: spec.algorithm.unwrap_or_default(),
            digits,
            period,
            first_counter: first_counter as i64,
        })
    }
}

fn decode_secret(text: &str) -> Result<Vec<u8>, DomainError> {
    let secret = base32::decode(text).map_err(|e| DomainError::invalid("secret", e.to_string()))?;
    if secret.len() < 10 {
        return Err(DomainError::invalid(
            "secret",
            "is shorter than 80 bits (16 base32 characters); RFC 4226 asks for at least 128 bits",
        ));
    }
    if secret.len() > 128 {
        return Err(DomainError::invalid("secret", "is longer than 1024 bits"));
    }
    Ok(secret)
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
