//! Extractors that turn every malformed request into the API's error shape.

use std::net::IpAddr;

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Query, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::Json;
use countersign_domain::{ApiKey, Scope, Source};
use serde::de::DeserializeOwned;

use super::error::ApiError;
use super::proxy::PeerAddr;
use crate::api::ApiState;
use crate::AppState;

/// A JSON body; syntax errors are 400, wrong fields 422, too large 413.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(json_error(rejection)),
        }
    }
}

fn json_error(rejection: JsonRejection) -> ApiError {
    let detail = rejection.body_text();
    match rejection.status() {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            "the request body is larger than the server accepts (http.body_limit)",
        ),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the body as JSON with the header Content-Type: application/json",
        ),
        StatusCode::UNPROCESSABLE_ENTITY => ApiError::invalid(detail),
        _ => ApiError::bad_request(
            "malformed_json",
            format!("the body is not valid JSON: {detail}"),
        ),
    }
}

/// Query parameters; anything that does not parse is a 400.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(v)| ApiQuery(v))
            .map_err(|e: QueryRejection| ApiError::bad_request("bad_query", e.body_text()))
    }
}

/// The caller, authenticated by a Bearer API key with the `admin` scope.
pub struct AdminKey(pub ApiKey);
/// The caller, authenticated by a Bearer API key with the `verify` scope.
pub struct VerifyKey(pub ApiKey);

impl FromRequestParts<AppState> for AdminKey {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        authorize(parts, state.as_ref(), Scope::Admin)
            .await
            .map(AdminKey)
    }
}

impl FromRequestParts<AppState> for VerifyKey {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        authorize(parts, state.as_ref(), Scope::Verify)
            .await
            .map(VerifyKey)
    }
}

async fn authorize(parts: &Parts, state: &ApiState, scope: Scope) -> Result<ApiKey, ApiError> {
    let header = parts
        .headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| ApiError::unauthorized("send an API key as 'Authorization: Bearer cs_...' (create one with `countersign apikey create`)"))?;
    let presented = header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))
        .ok_or_else(|| {
            ApiError::unauthorized("the Authorization header must be 'Bearer <API key>'")
        })?;
    let key = state
        .api_keys
        .authenticate(presented.trim())
        .await?
        .ok_or_else(|| ApiError::unauthorized("the API key is unknown or revoked"))?;
    if key.allows(scope) {
        Ok(key)
    } else {
        Err(ApiError::forbidden(format!(
            "the API key '{}' lacks the '{}' scope this call needs",
            key.name,
            scope.as_str()
        )))
    }
}

/// The network address of the caller, as the proxy policy reads it.
pub struct ClientAddr(pub Option<IpAddr>);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<PeerAddr>>()
            .map(|c| c.0 .0.ip());
        Ok(ClientAddr(
            peer.map(|ip| state.proxy.client_ip(ip, &parts.headers)),
        ))
    }
}

impl ClientAddr {
    pub fn source(&self, key: &ApiKey) -> Source {
        Source {
            client: Some(key.name.clone()),
            address: self.0.map(|ip| ip.to_string()),
            rule: None,
        }
    }
}
