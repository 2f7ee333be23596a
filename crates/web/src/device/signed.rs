//! The extractor for signed device requests: the body is read whole,
//! because its hash is part of what the device signed.

use axum::body::Bytes;
use axum::extract::{FromRequest, OriginalUri, Request};
use axum::http::{HeaderMap, StatusCode};
use countersign_device_proto::{HEADER_DEVICE, HEADER_NONCE, HEADER_SIGNATURE, HEADER_TIMESTAMP};
use countersign_domain::methods::push::device_auth::{DeviceAuthError, SignedRequest};
use countersign_domain::model::push::Device;
use serde::de::DeserializeOwned;

use super::DeviceState;
use crate::http::error::ApiError;
use crate::AppState;

pub struct Signed {
    pub device: Device,
    pub body: Bytes,
}

impl Signed {
    /// The body as JSON, with the API's error shape.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        serde_json::from_slice(&self.body).map_err(|e| match e.classify() {
            serde_json::error::Category::Data => ApiError::invalid(e.to_string()),
            _ => {
                ApiError::bad_request("malformed_json", format!("the body is not valid JSON: {e}"))
            }
        })
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Result<&'a str, ApiError> {
    headers.get(name).and_then(|v| v.to_str().ok()).ok_or_else(|| {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "signature_missing",
            format!("the request lacks the {name} header: device requests are signed (docs/device-api.md)"),
        )
    })
}

impl FromRequest<AppState> for Signed {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        let method = req.method().as_str().to_string();
        // Inside the nested /device/v1 router the URI lost its prefix; the device signed the full path.
        let uri = req
            .extensions()
            .get::<OriginalUri>()
            .map(|o| o.0.clone())
            .unwrap_or_else(|| req.uri().clone());
        let path = uri
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_default();
        let headers = req.headers().clone();
        let body = Bytes::from_request(req, state).await.map_err(|_| {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                "the request body is larger than the server accepts",
            )
        })?;
        let device = authenticate(state.as_ref(), &method, &path, &headers, &body).await?;
        Ok(Signed { device, body })
    }
}

/// The device that signed this request (docs/device-api.md), or the refusal.
pub(crate) async fn authenticate(
    state: &DeviceState,
    method: &str,
    path_and_query: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Device, ApiError> {
    let signed = SignedRequest {
        device_id: header(headers, HEADER_DEVICE)?,
        method,
        path_and_query,
        timestamp: header(headers, HEADER_TIMESTAMP)?,
        nonce: header(headers, HEADER_NONCE)?,
        signature: header(headers, HEADER_SIGNATURE)?,
        body,
    };
    state
        .push
        .authenticate_device(&signed)
        .await
        .map_err(refusal)
}

fn refusal(e: DeviceAuthError) -> ApiError {
    let code = match e {
        DeviceAuthError::DeviceUnknown => "device_unknown",
        DeviceAuthError::SignatureInvalid => "signature_invalid",
        DeviceAuthError::TimestampStale => "timestamp_stale",
        DeviceAuthError::NonceReused => "nonce_reused",
        DeviceAuthError::NonceMalformed => "signature_invalid",
        DeviceAuthError::Store => {
            return ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "server_error",
                "the server could not check the request; try again",
            )
        }
    };
    ApiError::new(StatusCode::UNAUTHORIZED, code, e.to_string())
}
