//! `POST /device/v1/activate`: the activation code is the credential.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use countersign_device_proto::{ActivateBody, Activated, OathSeed, WebPushKey};
use countersign_domain::methods::push::activation::{self, ActivationError, DeviceRegistration};

use super::DeviceState;
use crate::http::error::ApiError;
use crate::http::extract::ApiJson;

pub async fn activate(
    State(state): State<DeviceState>,
    ApiJson(body): ApiJson<ActivateBody>,
) -> Result<(StatusCode, Json<Activated>), ApiError> {
    let registration = DeviceRegistration {
        code: body.code,
        public_key: body.public_key,
        device_name: body.device_name,
        platform: body.platform,
        pin_key: body.pin_key,
    };
    match state.push.activate(registration).await {
        Ok(activated) => Ok((StatusCode::CREATED, Json(answer(&state, activated)))),
        Err(e) => Err(activation_error(e)),
    }
}

/// The activation answer, with the VAPID key when Web Push is on. Taken
/// apart whole: a field the domain adds must be placed on the wire here.
fn answer(state: &DeviceState, activated: activation::Activated) -> Activated {
    let activation::Activated {
        device_id,
        account_name,
        user,
        display_name,
        oath,
        number_matching,
        pin_required,
    } = activated;
    Activated {
        device_id,
        account_name,
        user,
        display_name,
        oath: oath.map(|seed| OathSeed {
            secret: seed.secret,
            algorithm: seed.algorithm,
            digits: seed.digits,
            period: seed.period,
        }),
        number_matching,
        pin_required,
        web_push: state.web_push.as_ref().map(|web_push| WebPushKey {
            vapid_public_key: web_push.public_key(),
        }),
    }
}

/// The one answer for every code that does not activate: whether a code's
/// first half names a live activation (a wrong second half) or a dead or
/// missing one must not show, or the first half could be enumerated.
const REFUSED: &str = "this activation code does not work (wrong, already used, expired, \
    or locked after 10 wrong tries): check the digits, or ask your administrator for a new activation code";

fn activation_error(e: ActivationError) -> ApiError {
    let message = e.to_string();
    match e {
        ActivationError::NotFound
        | ActivationError::Used
        | ActivationError::Expired
        | ActivationError::Locked
        | ActivationError::Wrong { .. } => {
            // The exact reason is for the operator's log only.
            tracing::info!(reason = %message, "device activation refused");
            ApiError::new(StatusCode::FORBIDDEN, "activation_refused", REFUSED)
        }
        ActivationError::DeviceLimit(_) => {
            ApiError::new(StatusCode::CONFLICT, "device_limit", message)
        }
        ActivationError::PinRequired => {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "pin_required", message)
        }
        ActivationError::Invalid(_) => ApiError::invalid(message),
        ActivationError::Domain(inner) => inner.into(),
    }
}
