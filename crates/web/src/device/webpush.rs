//! `PUT` and `DELETE /device/v1/webpush` (signed): the web app registers
//! its browser's push subscription, or takes it back.

use axum::extract::State;
use axum::http::StatusCode;
use countersign_device_proto::WebPushSubscription;
use countersign_domain::methods::webpush::{SubscriptionInput, WebPush, WebPushError};

use super::signed::Signed;
use super::DeviceState;
use crate::http::error::ApiError;

fn enabled(state: &DeviceState) -> Result<&WebPush, ApiError> {
    state.web_push.as_ref().ok_or_else(|| {
        ApiError::new(
            StatusCode::CONFLICT,
            "web_push_off",
            "Web Push is turned off on this server ([web_push] enabled = false): the app is reached while it is open",
        )
    })
}

pub async fn subscribe(
    State(state): State<DeviceState>,
    signed: Signed,
) -> Result<StatusCode, ApiError> {
    let web_push = enabled(&state)?;
    let body: WebPushSubscription = signed.json()?;
    let input = SubscriptionInput {
        endpoint: body.endpoint,
        p256dh: body.keys.p256dh,
        auth: body.keys.auth,
    };
    match web_push.subscribe(&signed.device, &input).await {
        Ok(()) => Ok(StatusCode::NO_CONTENT),
        Err(WebPushError::Domain(e)) => Err(e.into()),
        Err(e) => Err(ApiError::invalid(e.to_string())),
    }
}

pub async fn unsubscribe(
    State(state): State<DeviceState>,
    signed: Signed,
) -> Result<StatusCode, ApiError> {
    let web_push = enabled(&state)?;
    web_push.unsubscribe(&signed.device).await?;
    Ok(StatusCode::NO_CONTENT)
}
