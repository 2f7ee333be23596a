//! `POST /api/v1/verify`: the door applications call (verify scope).

use axum::extract::State;
use axum::Json;
use countersign_domain::{Outcome, Reason, Verification};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ClientAddr, VerifyKey};
use crate::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyRequest {
    pub username: String,
    /// The one-time code the user typed.
    pub code: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VerifyResponse {
    /// `accepted` or `rejected`.
    pub result: &'static str,
    /// Why it was rejected: a stable reason code (docs/reason-codes.md).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
    /// The reason in words to show the user.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<&'static str>,
}

#[utoipa::path(post, path = "/api/v1/verify", request_body = VerifyRequest, security(("bearer" = [])),
    responses((status = 200, body = VerifyResponse), (status = 404, body = ErrorBody, description = "unknown_user"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn verify(
    State(state): State<AppState>,
    VerifyKey(key): VerifyKey,
    client: ClientAddr,
    ApiJson(body): ApiJson<VerifyRequest>,
) -> Result<Json<VerifyResponse>, ApiError> {
    let request = Verification {
        username: body.username,
        code: body.code,
        source: client.source(&key),
    };
    let outcome = state.verifier.verify(&request).await?;
    match outcome {
        Outcome::Accepted { .. } => Ok(Json(VerifyResponse {
            result: "accepted",
            reason: None,
            message: None,
        })),
        Outcome::Rejected {
            reason: Reason::UnknownUser,
        } => Err(ApiError::new(
            axum::http::StatusCode::NOT_FOUND,
            "unknown_user",
            format!(
                "no user is named '{}': create the user first",
                request.username
            ),
        )),
        Outcome::Rejected { reason } => Ok(Json(VerifyResponse {
            result: "rejected",
            reason: Some(reason.as_str()),
            message: Some(reason.message()),
        })),
    }
}
