//! Passkeys (WebAuthn): the relying party, registration ceremonies and the
//! user's list of passkeys. The sign-in side (challenges answered with
//! assertions) is the engine's, in `signin/passkey.rs`; both share this
//! service's store, relying party and metrics.

mod metrics;
mod registration;

use std::sync::Arc;

use countersign_webauthn::{
    Aaguid, AttestationPreference, Challenge, Credential, Policy, RelyingParty, UserVerification,
};

use crate::admin::settings::SettingsHandle;
use crate::model::error::DomainError;
use crate::model::ids::new_id;
use crate::model::passkey::{CeremonyKind, StoredPasskey, WebauthnChallenge};
use crate::model::user::{is_principal, User};
use crate::ports::clock::Clock;
use crate::ports::PasskeysPorts;

pub use crate::model::passkey::PasskeyView;
pub use metrics::PasskeyMetrics;
pub use registration::Ceremony;

/// The passkey service: one per server, shared by the engine and the doors.
#[derive(Clone)]
pub struct Passkeys {
    pub(crate) store: Arc<dyn PasskeysPorts>,
    pub(crate) clock: Arc<dyn Clock>,
    /// RP ID, name and origins from `[webauthn]`; the policy comes from
    /// the settings at each ceremony.
    rp: RelyingParty,
    pub(crate) settings: SettingsHandle,
    pub(crate) metrics: Arc<PasskeyMetrics>,
    /// Whether administrators' principals (`admin/NAME`) may be named:
    /// only the console's own use ([`Passkeys::for_principals`]).
    principals: bool,
}

impl Passkeys {
    /// `rp` is made from `[webauthn]` (its policy is replaced at each
    /// ceremony by the settings').
    pub fn new(
        store: Arc<dyn PasskeysPorts>,
        clock: Arc<dyn Clock>,
        rp: RelyingParty,
        settings: SettingsHandle,
    ) -> Self {
        Self {
            store,
            clock,
            rp,
            settings,
            metrics: Arc::default(),
            principals: false,
        }
    }

    /// The same service for the console: it may name administrators'
    /// principals (`admin/NAME`), which every other door cannot see.
    pub fn for_principals(&self) -> Self {
        Self {
            principals: true,
            ..self.clone()
        }
    }

    pub fn metrics(&self) -> &Arc<PasskeyMetrics> {
        &self.metrics
    }

    pub fn relying_party(&self) -> &RelyingParty {
        &self.rp
    }

    /// The relying party with the policy the settings give now; `uv_required`
    /// forces user verification (a discoverable sign-in: both factors).
    pub(crate) fn rp_now(&self, uv_required: bool) -> Result<RelyingParty, DomainError> {
        let policy = self.settings.read(|s| Policy {
            user_verification: match s.webauthn_user_verification.as_str() {
                _ if uv_required => UserVerification::Required,
                "preferred" => UserVerification::Preferred,
                "discouraged" => UserVerification::Discouraged,
                _ => UserVerification::Required,
            },
            attestation: match s.webauthn_attestation.as_str() {
                "direct" => AttestationPreference::Direct,
                _ => AttestationPreference::None,
            },
            aaguid_allow_list: (!s.webauthn_aaguid_allow.is_empty()).then(|| {
                s.webauthn_aaguid_allow
                    .iter()
                    .filter_map(|a| Aaguid::parse(a))
                    .collect()
            }),
            timeout_ms: s.webauthn_challenge_seconds.saturating_mul(1000),
            ..Policy::default()
        });
        self.rp
            .with_policy(policy)
            .map_err(|e| DomainError::invalid("webauthn", e.to_string()))
    }

    /// The user a door names; principals only for the console.
    pub(crate) async fn user(&self, username: &str) -> Result<User, DomainError> {
        let found = match is_principal(username) && !self.principals {
            true => None,
            false => self.store.user_by_name(username).await?,
        };
        found.ok_or_else(|| DomainError::not_found("user", username))
    }

    /// How many passkeys the user has (the engine's `Holdings`).
    pub async fn count(&self, user_id: &str) -> Result<usize, DomainError> {
        Ok(self.store.count_passkeys(user_id).await?)
    }

    pub(crate) async fn credentials_of(
        &self,
        user_id: &str,
    ) -> Result<Vec<Credential>, DomainError> {
        let stored = self.store.passkeys_of_user(user_id).await?;
        Ok(stored.into_iter().map(|p| p.credential).collect())
    }

    /// Stores a fresh challenge of `kind` and answers its id and bytes.
    pub(crate) async fn new_challenge(
        &self,
        kind: CeremonyKind,
        user_id: Option<&str>,
    ) -> Result<(String, Challenge), DomainError> {
        let challenge =
            Challenge::generate().map_err(|e| DomainError::invalid("webauthn", e.to_string()))?;
        let prefix = match kind {
            CeremonyKind::Registration => "wrg",
            CeremonyKind::Assertion => "wan",
        };
        let seconds = self.settings.read(|s| s.webauthn_challenge_seconds);
        let row = WebauthnChallenge {
            id: new_id(prefix),
            kind,
            user_id: user_id.map(str::to_string),
            challenge: challenge.as_bytes().to_vec(),
            expires_at: self.clock.now() + i64::from(seconds),
            used: false,
        };
        self.store.insert_webauthn_challenge(&row).await?;
        Ok((row.id, challenge))
    }

    /// The user's passkeys, oldest first.
    pub async fn list(&self, username: &str) -> Result<Vec<PasskeyView>, DomainError> {
        let user = self.user(username).await?;
        let stored = self.store.passkeys_of_user(&user.id).await?;
        Ok(stored.iter().map(PasskeyView::of).collect())
    }

    /// Renames one of the user's passkeys.
    pub async fn rename(
        &self,
        username: &str,
        credential_id: &str,
        name: &str,
    ) -> Result<PasskeyView, DomainError> {
        let user = self.user(username).await?;
        let name = checked_name(Some(name.to_string()))?;
        if !self
            .store
            .rename_passkey(&user.id, credential_id, &name)
            .await?
        {
            return Err(DomainError::not_found("passkey", credential_id));
        }
        self.view(&user, credential_id).await
    }

    async fn view(&self, user: &User, credential_id: &str) -> Result<PasskeyView, DomainError> {
        self.store
            .passkey_by_credential_id(credential_id)
            .await?
            .filter(|p| p.user_id == user.id)
            .map(|p| PasskeyView::of(&p))
            .ok_or_else(|| DomainError::not_found("passkey", credential_id))
    }

    /// Removes one of the user's passkeys; refused when it is their last
    /// way to sign in (unless `allow_remove_last_method`).
    pub async fn remove(&self, username: &str, credential_id: &str) -> Result<(), DomainError> {
        let user = self.user(username).await?;
        let passkeys = self.store.passkeys_of_user(&user.id).await?;
        if !passkeys.iter().any(|p| p.credential_id == credential_id) {
            return Err(DomainError::not_found("passkey", credential_id));
        }
        if self.would_be_last(&user, passkeys.len()).await? {
            return Err(DomainError::Conflict(
                "this passkey is the user's last way to sign in: add another method first \
                 (or turn on the setting allow_remove_last_method)"
                    .into(),
            ));
        }
        self.store.delete_passkey(&user.id, credential_id).await?;
        Ok(())
    }

    async fn would_be_last(&self, user: &User, passkeys: usize) -> Result<bool, DomainError> {
        if self.settings.read(|s| s.allow_remove_last_method) {
            return Ok(false);
        }
        let tokens = self.store.tokens_of_user(&user.id).await?.len();
        let devices = self.store.devices_of_user(&user.id).await?.len();
        let after = crate::model::method::Holdings {
            tokens,
            devices,
            yubikeys: 0,
            passkeys: passkeys.saturating_sub(1),
        };
        Ok(crate::model::method::Methods::of(user, after).is_empty())
    }
}

/// A passkey's name: trimmed, 1 to 64 printable characters; "Passkey" when none.
pub(crate) fn checked_name(name: Option<String>) -> Result<String, DomainError> {
    let name = name.map(|n| n.trim().to_string()).unwrap_or_default();
    if name.is_empty() {
        return Ok("Passkey".into());
    }
    if name.chars().count() > 64 || name.chars().any(char::is_control) {
        return Err(DomainError::invalid(
            "name",
            "a passkey's name is 1 to 64 printable characters",
        ));
    }
    Ok(name)
}

/// A stored passkey for a verified registration.
pub(crate) fn stored(user: &User, credential: Credential, name: String, now: i64) -> StoredPasskey {
    StoredPasskey {
        id: new_id("pk"),
        user_id: user.id.clone(),
        credential_id: countersign_webauthn::parse::base64url_encode(&credential.id),
        credential,
        name,
        created_at: now,
        last_used_at: None,
    }
}
