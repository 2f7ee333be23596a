//! `/api/v1/users/{username}/activations` and `/devices` (admin scope):
//! enrolling the Countersign authenticator and managing devices.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use countersign_domain::methods::push::activation::app_url;
use countersign_domain::ports::clock::rfc3339;
use serde::Serialize;
use serde_json::{json, Value};
use utoipa::ToSchema;

use super::ApiState;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::AdminKey;

#[derive(Debug, Serialize, ToSchema)]
pub struct ActivationView {
    /// 16 digits in groups of 4, to type into the app with `url`.
    pub activation_code: String,
    /// The service URL to type into the app with the code.
    pub url: String,
    /// `countersign://activate?...`: what the QR code holds, for the Countersign authenticator only.
    pub activation_uri: String,
    /// The activation URI as a QR code (SVG).
    pub qr_svg: String,
    /// `<url>app#code=<16 digits>`: opens the web app on the phone and activates it; the code
    /// is in the fragment, which browsers never send to a server.
    pub app_url: String,
    /// `app_url` as a QR code (SVG), for the phone's camera.
    pub app_qr_svg: String,
    pub expires_at: String,
    /// Which QR is for which app.
    pub apps: String,
}

#[utoipa::path(post, path = "/api/v1/users/{username}/activations", operation_id = "create_activation", security(("bearer" = [])),
    responses((status = 201, body = ActivationView), (status = 404, body = ErrorBody)))]
pub async fn create(
    State(state): State<ApiState>,
    AdminKey(key): AdminKey,
    Path(username): Path<String>,
    headers: HeaderMap,
) -> Result<(StatusCode, Json<ActivationView>), ApiError> {
    let grant = state.push.create_activation(&username).await?;
    let url = state.address.url(&headers);
    let uri = state.address.activation_uri(&url, &grant.code);
    let qr_svg = countersign_otp::qr::svg(&uri)
        .map_err(|e| ApiError::invalid(format!("the QR code could not be drawn: {e}")))?;
    let app_url = app_url(&url, &grant.code);
    let app_qr_svg = countersign_otp::qr::svg(&app_url)
        .map_err(|e| ApiError::invalid(format!("the QR code could not be drawn: {e}")))?;
    tracing::info!(user = %username, by = %key.name, "authenticator activation created");
    Ok((
        StatusCode::CREATED,
        Json(ActivationView {
            activation_code: grant.grouped(),
            url,
            activation_uri: uri,
            qr_svg,
            app_url,
            app_qr_svg,
            expires_at: rfc3339(grant.expires_at),
            apps: format!(
                "On a phone, scan app_qr_svg with the camera (or open app_url): it installs the Countersign web app and \
                 activates it. Scan qr_svg with the Countersign authenticator (push approval). Google or Microsoft Authenticator \
                 cannot read it: for codes in a standard app, add an OATH token (POST /api/v1/users/{username}/tokens) \
                 and scan its otpauth:// QR."
            ),
        }),
    ))
}

pub async fn list_devices(
    State(state): State<ApiState>,
    _key: AdminKey,
    Path(username): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let (devices, subscriptions) = state.push.devices_with_subscriptions(&username).await?;
    let shown: Vec<Value> = devices
        .into_iter()
        .map(|d| {
            let web_push = subscriptions.iter().find(|s| s.device_id == d.id).map(|s| {
                json!({"subscribed_at": rfc3339(s.created_at), "last_result": s.last_result,
                       "last_result_at": s.last_result_at.map(rfc3339)})
            });
            json!({"id": d.id, "name": d.name, "platform": d.platform, "pin": d.pin,
                   "created_at": rfc3339(d.created_at), "web_push": web_push})
        })
        .collect();
    Ok(Json(json!({"devices": shown})))
}

pub async fn remove_device(
    State(state): State<ApiState>,
    _key: AdminKey,
    Path((username, id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    state.push.remove_device(&username, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
