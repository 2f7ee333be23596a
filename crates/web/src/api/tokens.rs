//! `/api/v1/users/{username}/tokens`: OATH tokens (admin scope).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use countersign_domain::TokenSpec;
use serde::Deserialize;
use utoipa::ToSchema;

use super::ApiState;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{AdminKey, ApiJson};
use crate::http::views::{TokenList, TokenView};

/// A new token; every field is optional (default: TOTP, SHA1, 6 digits, 30 s, server-generated seed).
#[derive(Debug, Deserialize, ToSchema)]
#[allow(dead_code)] // documents the body for OpenAPI; the handler reads TokenSpec
pub struct CreateToken {
    /// `totp` or `hotp`.
    #[serde(rename = "type")]
    kind: Option<String>,
    /// Base32 seed of an existing token; omit to have the server make one.
    secret: Option<String>,
    /// `sha1`, `sha256` or `sha512`.
    algorithm: Option<String>,
    /// 6, 7 or 8.
    digits: Option<u32>,
    /// TOTP step: 30 or 60 seconds.
    period: Option<u64>,
    /// HOTP: the next counter of the token.
    counter: Option<u64>,
    /// Assign the imported pool token with this serial number instead (give no other field but `code`).
    serial: Option<String>,
    /// With `serial`: a current code of the token, proving the person holds it.
    code: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Resync {
    /// A code from the token.
    code1: String,
    /// The code right after it.
    code2: String,
}

#[utoipa::path(post, path = "/api/v1/users/{username}/tokens", operation_id = "create_token", request_body = CreateToken, security(("bearer" = [])),
    responses((status = 201, body = TokenView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<ApiState>,
    _key: AdminKey,
    Path(username): Path<String>,
    ApiJson(spec): ApiJson<TokenSpec>,
) -> Result<(StatusCode, Json<TokenView>), ApiError> {
    if let Some((serial, code)) = spec.assignment()? {
        let token = state.pool.assign(&username, serial, code).await?;
        state.welcome.consider(&username).await?;
        return Ok((StatusCode::CREATED, Json(TokenView::from(token))));
    }
    let (token, enrolment) = state.accounts.add_token(&username, spec).await?;
    let mut view = TokenView::from(token);
    if let Some(enrolment) = enrolment {
        let svg = countersign_otp::qr::svg(&enrolment.otpauth_uri)
            .map_err(|e| ApiError::invalid(format!("the QR code could not be drawn: {e}")))?;
        view.secret = Some(enrolment.secret);
        view.otpauth_uri = Some(enrolment.otpauth_uri);
        view.qr_svg = Some(svg);
    }
    tracing::info!(user = %username, token = %view.id, "token added");
    state.welcome.consider(&username).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

#[utoipa::path(get, path = "/api/v1/users/{username}/tokens", operation_id = "list_user_tokens", security(("bearer" = [])),
    responses((status = 200, body = TokenList), (status = 404, body = ErrorBody)))]
pub async fn list(
    State(state): State<ApiState>,
    _key: AdminKey,
    Path(username): Path<String>,
) -> Result<Json<TokenList>, ApiError> {
    let tokens = state.accounts.tokens(&username).await?;
    Ok(Json(TokenList {
        tokens: tokens.into_iter().map(TokenView::from).collect(),
    }))
}

#[utoipa::path(delete, path = "/api/v1/users/{username}/tokens/{id}", operation_id = "delete_token", security(("bearer" = [])),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn remove(
    State(state): State<ApiState>,
    _key: AdminKey,
    Path((username, id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    state.accounts.delete_token(&username, &id).await?;
    tracing::info!(user = %username, token = %id, "token removed");
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/users/{username}/tokens/{id}/resync", operation_id = "resync_token", request_body = Resync, security(("bearer" = [])),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn resync(
    State(state): State<ApiState>,
    _key: AdminKey,
    Path((username, id)): Path<(String, String)>,
    ApiJson(body): ApiJson<Resync>,
) -> Result<StatusCode, ApiError> {
    state
        .verifier
        .resync(&username, &id, &body.code1, &body.code2)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
