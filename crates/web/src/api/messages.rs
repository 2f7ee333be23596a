//! `/api/v1/messages` (admin scope): the outbox, so failures are visible.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use countersign_domain::model::messages::MessageStatus;
use countersign_domain::ports::clock::rfc3339;
use serde::Deserialize;
use serde_json::{json, Value};

use super::ApiState;
use crate::http::error::ApiError;
use crate::http::extract::{AdminKey, ApiQuery};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    /// `queued`, `sent` or `failed`.
    status: Option<String>,
    limit: Option<i64>,
}

pub async fn list(
    State(state): State<ApiState>,
    _key: AdminKey,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<Json<Value>, ApiError> {
    let status = match params.status.as_deref() {
        None => None,
        Some(text) => Some(MessageStatus::parse(text).ok_or_else(|| {
            ApiError::bad_request("bad_query", "status must be queued, sent or failed")
        })?),
    };
    let limit = params.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::bad_request(
            "bad_query",
            "limit must be between 1 and 1000",
        ));
    }
    let messages = state.outbox.list(status, limit).await?;
    let shown: Vec<Value> = messages
        .iter()
        .map(|m| {
            json!({
                "id": m.id, "kind": m.kind, "purpose": m.purpose, "recipient": m.recipient, "status": m.status,
                "attempts": m.attempts, "error": m.last_error, "created_at": rfc3339(m.created_at),
                "sent_at": m.sent_at.map(rfc3339), "next_attempt_at": rfc3339(m.next_attempt_at),
            })
        })
        .collect();
    Ok(Json(json!({"messages": shown})))
}

pub async fn retry(
    State(state): State<ApiState>,
    _key: AdminKey,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.outbox.retry(&id).await?;
    Ok(StatusCode::ACCEPTED)
}
