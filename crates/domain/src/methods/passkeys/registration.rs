//! Registering a passkey: options for the browser, then its answer verified
//! against the ceremony's single-use challenge and stored.

use countersign_webauthn::{Challenge, RegistrationResponse, User as RpUser, WebauthnError};
use serde::Serialize;

use super::{checked_name, stored, Passkeys};
use crate::model::error::DomainError;
use crate::model::passkey::{CeremonyKind, PasskeyView};

/// A registration under way: `options` is the
/// `PublicKeyCredentialCreationOptionsJSON` the browser's
/// `PublicKeyCredential.parseCreationOptionsFromJSON` takes.
#[derive(Debug, Clone, Serialize)]
pub struct Ceremony {
    pub ceremony_id: String,
    pub options: serde_json::Value,
}

impl Passkeys {
    /// Starts registering a passkey for `username` (`display`: the name the
    /// authenticator shows; the username when `None`). Discoverable
    /// (`residentKey: "preferred"`), the settings' attestation and user
    /// verification, the user's passkeys excluded.
    pub async fn begin_registration(
        &self,
        username: &str,
        display: Option<&str>,
    ) -> Result<Ceremony, DomainError> {
        let user = self.user(username).await?;
        let rp = self.rp_now(false)?;
        let exclude = self.credentials_of(&user.id).await?;
        let (ceremony_id, challenge) = self
            .new_challenge(CeremonyKind::Registration, Some(&user.id))
            .await?;
        let display = display
            .map(str::to_string)
            .or_else(|| user.display_name.clone())
            .unwrap_or_else(|| user.username.clone());
        let rp_user = RpUser {
            handle: user.id.as_bytes().to_vec(),
            name: user.username.clone(),
            display_name: display,
        };
        let options = rp
            .creation_options(&rp_user, &challenge, &exclude)
            .map_err(|e| DomainError::invalid("webauthn", e.to_string()))?;
        let options = serde_json::to_value(options)
            .map_err(|e| DomainError::invalid("webauthn", e.to_string()))?;
        Ok(Ceremony {
            ceremony_id,
            options,
        })
    }

    /// Finishes a registration with the browser's `RegistrationResponseJSON`
    /// (`credential.toJSON()`). The ceremony is single-use and expires; a
    /// credential already registered (to anyone) is a conflict.
    pub async fn finish_registration(
        &self,
        username: &str,
        ceremony_id: &str,
        response: &serde_json::Value,
        name: Option<String>,
    ) -> Result<PasskeyView, DomainError> {
        let result = self.finish(username, ceremony_id, response, name).await;
        self.metrics.registered(result.is_ok());
        result
    }

    async fn finish(
        &self,
        username: &str,
        ceremony_id: &str,
        response: &serde_json::Value,
        name: Option<String>,
    ) -> Result<PasskeyView, DomainError> {
        let user = self.user(username).await?;
        let name = checked_name(name)?;
        let row = self
            .store
            .webauthn_challenge(ceremony_id)
            .await?
            .filter(|c| c.kind == CeremonyKind::Registration)
            .filter(|c| c.user_id.as_deref() == Some(user.id.as_str()))
            .ok_or_else(|| DomainError::not_found("passkey registration", ceremony_id))?;
        let now = self.clock.now();
        if !self.store.take_webauthn_challenge(&row.id, now).await? {
            return Err(DomainError::invalid(
                "ceremony_id",
                "this registration was already finished or has expired: start a new one",
            ));
        }
        let response = RegistrationResponse::from_value(response).map_err(refused)?;
        let challenge = Challenge::from_bytes(&row.challenge).map_err(refused)?;
        let credential = self
            .rp_now(false)?
            .verify_registration(&response, &challenge)
            .map_err(refused)?;
        let passkey = stored(&user, credential, name, now);
        match self.store.insert_passkey(&passkey).await {
            Ok(()) => {}
            Err(crate::StoreError::Conflict(_)) => {
                return Err(DomainError::Conflict(
                    "this passkey is already registered (to this or another user)".into(),
                ))
            }
            Err(e) => return Err(e.into()),
        }
        tracing::info!(user = %user.username, credential = %passkey.credential_id,
            aaguid = %passkey.credential.aaguid, "passkey registered");
        Ok(PasskeyView::of(&passkey))
    }
}

/// A refused registration, in words, with the check's stable code.
fn refused(e: WebauthnError) -> DomainError {
    DomainError::invalid("response", format!("{} ({})", e, e.code()))
}
