//! The two ceremonies' checks (WebAuthn Level 3 §7.1 registration, §7.2 authentication).

use ring::digest;

use crate::attestation::{verify_statement, AttestationObject};
use crate::auth_data::{AuthenticatorData, Flags};
use crate::b64;
use crate::client_data::{Ceremony, ClientData};
use crate::cose::PublicKey;
use crate::error::WebauthnError;
use crate::response::{AuthenticationResponse, RegistrationResponse};
use crate::rp::{RelyingParty, UserVerification};
use crate::types::{Authentication, Challenge, Credential};

/// Transports kept from a registration: at most this many, each this long.
const MAX_TRANSPORTS: usize = 8;
const MAX_TRANSPORT_LEN: usize = 32;

fn sha256(bytes: &[u8]) -> digest::Digest {
    digest::digest(&digest::SHA256, bytes)
}

impl RelyingParty {
    /// Checks client data and authenticator data common to both ceremonies.
    fn check_common(
        &self,
        ceremony: Ceremony,
        client_data_json: &[u8],
        challenge: &Challenge,
        auth: &AuthenticatorData<'_>,
    ) -> Result<(), WebauthnError> {
        ClientData::parse(client_data_json)?.check(ceremony, challenge, &self.origins)?;
        if auth.rp_id_hash != self.id_hash {
            return Err(WebauthnError::WrongRpIdHash);
        }
        self.check_flags(auth.flags)
    }

    fn check_flags(&self, flags: Flags) -> Result<(), WebauthnError> {
        if !flags.user_present() {
            return Err(WebauthnError::UserPresenceMissing);
        }
        if self.policy.user_verification == UserVerification::Required && !flags.user_verified() {
            return Err(WebauthnError::UserVerificationMissing);
        }
        if flags.backup_state() && !flags.backup_eligible() {
            return Err(WebauthnError::BackupStateWithoutEligibility);
        }
        Ok(())
    }

    /// Verifies a registration against the challenge issued for it and
    /// answers the credential to store. The engine must still refuse a
    /// credential id already registered (to anyone): a unique key in the store.
    pub fn verify_registration(
        &self,
        response: &RegistrationResponse,
        challenge: &Challenge,
    ) -> Result<Credential, WebauthnError> {
        let id = response.credential_id()?;
        let client_data_json = b64::decode(&response.response.client_data_json, "clientDataJSON")?;
        let object_bytes = b64::decode(&response.response.attestation_object, "attestationObject")?;
        let object = AttestationObject::parse(&object_bytes)?;
        let auth = AuthenticatorData::parse(object.auth_data)?;
        self.check_common(Ceremony::Create, &client_data_json, challenge, &auth)?;
        let attested = auth
            .attested
            .as_ref()
            .ok_or(WebauthnError::AttestedCredentialMissing)?;
        if attested.credential_id != id.as_slice() {
            return Err(WebauthnError::CredentialIdMismatch);
        }
        let algorithm = attested.public_key.algorithm();
        if !self.policy.algorithms.contains(&algorithm) {
            return Err(WebauthnError::UnsupportedAlgorithm(algorithm.cose()));
        }
        attested.public_key.validate()?;
        let attestation = verify_statement(
            &object,
            &attested.public_key,
            sha256(&client_data_json).as_ref(),
            self.policy.attestation,
        )?;
        if let Some(allowed) = &self.policy.aaguid_allow_list {
            if !allowed.contains(&attested.aaguid) {
                return Err(WebauthnError::AaguidNotAllowed(attested.aaguid));
            }
        }
        Ok(Credential {
            id,
            public_key: attested.public_key_bytes.to_vec(),
            algorithm,
            aaguid: attested.aaguid,
            sign_count: auth.sign_count,
            transports: transports(&response.response.transports),
            user_verified: auth.flags.user_verified(),
            backup_eligible: auth.flags.backup_eligible(),
            backup_state: auth.flags.backup_state(),
            discoverable: response
                .client_extension_results
                .cred_props
                .as_ref()
                .and_then(|p| p.rk),
            attestation,
        })
    }

    /// Verifies an assertion by `credential` (found by
    /// [`AuthenticationResponse::credential_id`]) against the challenge
    /// issued for it. `user_handle` is the handle of the credential's user:
    /// a handle in the response must be it. The engine stores the answer's
    /// `sign_count` on the credential (compare-and-set on the old value).
    pub fn verify_authentication(
        &self,
        response: &AuthenticationResponse,
        challenge: &Challenge,
        credential: &Credential,
        user_handle: Option<&[u8]>,
    ) -> Result<Authentication, WebauthnError> {
        let id = response.credential_id()?;
        if id != credential.id {
            return Err(WebauthnError::CredentialIdMismatch);
        }
        let r = &response.response;
        let client_data_json = b64::decode(&r.client_data_json, "clientDataJSON")?;
        let auth_bytes = b64::decode(&r.authenticator_data, "authenticatorData")?;
        let signature = b64::decode(&r.signature, "signature")?;
        let returned_handle = response.user_handle()?;
        let auth = AuthenticatorData::parse(&auth_bytes)?;
        self.check_common(Ceremony::Get, &client_data_json, challenge, &auth)?;
        if auth.flags.backup_eligible() != credential.backup_eligible {
            return Err(WebauthnError::BackupEligibilityChanged);
        }
        let key = PublicKey::from_cose(&credential.public_key)?;
        let mut signed = auth_bytes.clone();
        signed.extend_from_slice(sha256(&client_data_json).as_ref());
        key.verify(&signed, &signature)?;
        if let (Some(expected), Some(returned)) = (user_handle, returned_handle.as_deref()) {
            if expected != returned {
                return Err(WebauthnError::UserHandleMismatch);
            }
        }
        check_counter(credential.sign_count, auth.sign_count)?;
        Ok(Authentication {
            credential_id: id,
            sign_count: auth.sign_count,
            user_verified: auth.flags.user_verified(),
            backup_state: auth.flags.backup_state(),
            user_handle: returned_handle,
        })
    }
}

/// §7.2 step 22: a counter must grow unless both are 0 (an authenticator without one).
pub fn check_counter(stored: u32, received: u32) -> Result<(), WebauthnError> {
    if (stored != 0 || received != 0) && received <= stored {
        return Err(WebauthnError::CounterWentBackwards { stored, received });
    }
    Ok(())
}

fn transports(reported: &[String]) -> Vec<String> {
    reported
        .iter()
        .filter(|t| {
            !t.is_empty()
                && t.len() <= MAX_TRANSPORT_LEN
                && t.bytes().all(|b| b.is_ascii_lowercase() || b == b'-')
        })
        .take(MAX_TRANSPORTS)
        .cloned()
        .collect()
}

#[cfg(test)]
#[path = "verify_tests.rs"]
mod tests;
