//! Signed device requests: ECDSA P-256 over method, path, timestamp,
//! nonce and body hash; a clock window and single-use nonces stop replays.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use countersign_device_proto::{canonical_string, nonce_well_formed, timestamp_fresh};
use ring::signature::{UnparsedPublicKey, ECDSA_P256_SHA256_FIXED};

use crate::methods::push::Push;
use crate::model::push::Device;

/// Seconds a request's timestamp may differ from the server's clock.
pub const CLOCK_WINDOW: i64 = countersign_device_proto::CLOCK_WINDOW_SECS;

#[derive(Debug, Clone)]
pub struct SignedRequest<'a> {
    pub device_id: &'a str,
    pub method: &'a str,
    pub path_and_query: &'a str,
    pub timestamp: &'a str,
    pub nonce: &'a str,
    pub signature: &'a str,
    pub body: &'a [u8],
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DeviceAuthError {
    #[error("no device with this id: activate the authenticator again")]
    DeviceUnknown,
    #[error("the request signature does not verify with the device key")]
    SignatureInvalid,
    #[error("the request timestamp is more than 5 minutes from the server's clock: set the device clock")]
    TimestampStale,
    #[error("this nonce was already used: every request needs a fresh one")]
    NonceReused,
    #[error("the nonce must be 16 to 64 characters of A-Z a-z 0-9 _ -")]
    NonceMalformed,
    #[error("the server could not check the request")]
    Store,
}

impl Push {
    /// The device that signed this request, after every check.
    pub async fn authenticate_device(
        &self,
        request: &SignedRequest<'_>,
    ) -> Result<Device, DeviceAuthError> {
        if !nonce_well_formed(request.nonce) {
            return Err(DeviceAuthError::NonceMalformed);
        }
        let now = self.clock.now();
        if !timestamp_fresh(request.timestamp, now) {
            return Err(DeviceAuthError::TimestampStale);
        }
        let device = self
            .store
            .device(request.device_id)
            .await
            .map_err(|_| DeviceAuthError::Store)?
            .ok_or(DeviceAuthError::DeviceUnknown)?;
        let signature = STANDARD
            .decode(request.signature.trim())
            .map_err(|_| DeviceAuthError::SignatureInvalid)?;
        let message = canonical_string(
            request.method,
            request.path_and_query,
            request.timestamp,
            request.nonce,
            request.body,
        );
        UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, &device.public_key)
            .verify(message.as_bytes(), &signature)
            .map_err(|_| DeviceAuthError::SignatureInvalid)?;
        // Recorded only once the signature holds, so strangers cannot burn nonces.
        let fresh = self
            .store
            .use_nonce(&device.id, request.nonce, now + 2 * CLOCK_WINDOW, now)
            .await
            .map_err(|_| DeviceAuthError::Store)?;
        if !fresh {
            return Err(DeviceAuthError::NonceReused);
        }
        Ok(device)
    }
}
