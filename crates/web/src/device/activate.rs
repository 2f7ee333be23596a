//! `POST /device/v1/activate`: the activation code is the credential.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use countersign_domain::methods::push::activation::{
    Activated, ActivationError, DeviceRegistration,
};
use serde::Deserialize;

use super::DeviceState;
use crate::http::error::ApiError;
use crate::http::extract::ApiJson;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActivateBody {
    code: String,
    public_key: String,
    device_name: String,
    platform: String,
    pin_key: Option<String>,
}

pub async fn activate(
    State(state): State<DeviceState>,
    ApiJson(body): ApiJson<ActivateBody>,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
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

/// The activation answer, with the VAPID key when Web Push is on.
fn answer(state: &DeviceState, activated: Activated) -> serde_json::Value {
    let mut value = serde_json::to_value(activated).unwrap_or_default();
    if let (Some(web_push), Some(map)) = (&state.web_push, value.as_object_mut()) {
        map.insert(
            "web_push".into(),
            serde_json::json!({"vapid_public_key": web_push.public_key()}),
        );
    }
    value
}

fn activation_error(e: ActivationError) -> ApiError {
    let message = e.to_string();
    match e {
        ActivationError::NotFound => {
            ApiError::new(StatusCode::NOT_FOUND, "activation_not_found", message)
        }
        ActivationError::Used => ApiError::new(StatusCode::GONE, "activation_used", message),
        ActivationError::Expired => ApiError::new(StatusCode::GONE, "activation_expired", message),
        ActivationError::Locked => ApiError::new(StatusCode::GONE, "activation_locked", message),
        ActivationError::Wrong { .. } => {
            ApiError::new(StatusCode::FORBIDDEN, "activation_code_wrong", message)
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
