//! The reference Countersign authenticator: a client of the device API
//! (`/device/v1`, docs/device-api.md) that activates with a one-time code,
//! follows sign-in requests, answers them (number matching, PIN proof) and
//! shows offline TOTP codes. The `countersign-authenticator` binary is a
//! thin CLI over this library.

pub mod activation;
pub mod api;
pub mod signing;
pub mod sse;
pub mod store;
pub mod timefmt;
pub mod tls;
pub mod user_pin;
pub mod watch;

use api::{Answer, AnswerBody, ClientError, Device, Http};
use signing::DeviceKey;
use store::Store;
use tls::{SpkiPin, Trust};
use url::Url;

/// The trust for a server: its pin when there is one, else the system's roots.
pub fn trust_for(pin: Option<SpkiPin>) -> Trust {
    match pin {
        Some(pin) => Trust::Pinned(pin),
        None => Trust::System,
    }
}

/// The activated device a store describes, ready to call its server.
pub fn open_device(store: &Store) -> Result<Device, ClientError> {
    let pin = store
        .tls_pin
        .as_deref()
        .map(SpkiPin::parse)
        .transpose()
        .map_err(|e| ClientError::Setup(format!("the store's key pin is damaged: {e}")))?;
    let url = Url::parse(&store.server_url).map_err(|e| {
        ClientError::Setup(format!(
            "the store's server URL {:?} is damaged ({e}): activate again",
            store.server_url
        ))
    })?;
    let http = Http::new(url, &trust_for(pin))?;
    let key = DeviceKey::from_pkcs8_base64(&store.private_key_pkcs8)?;
    Ok(Device::new(http, store.device_id.clone(), key))
}

/// The body of an answer: the number when given, the PIN proof when a PIN is given.
pub fn answer_body(
    answer: Answer,
    request_id: &str,
    number: Option<u32>,
    pin: Option<&str>,
) -> AnswerBody {
    AnswerBody {
        answer,
        number: number.map(i64::from),
        pin_proof: pin.map(|pin| user_pin::pin_proof(pin, request_id)),
    }
}
