//! `GET /api/v1/audit`: the verification trail (admin scope).

use axum::extract::State;
use axum::Json;
use countersign_domain::ports::clock::parse_time;
use countersign_domain::AuditQuery;
use serde::Deserialize;
use utoipa::IntoParams;

use super::ApiState;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{AdminKey, ApiQuery};
use crate::http::views::{AuditPage, AuditView};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AuditParams {
    username: Option<String>,
    /// `accepted` or `rejected`.
    result: Option<String>,
    /// RFC 3339 time or Unix seconds: only records at or after it.
    since: Option<String>,
    /// At most this many records, newest first (1 to 1000, default 100).
    limit: Option<u32>,
}

#[utoipa::path(get, path = "/api/v1/audit", operation_id = "list_audit", params(AuditParams), security(("bearer" = [])),
    responses((status = 200, body = AuditPage), (status = 400, body = ErrorBody)))]
pub async fn list(
    State(state): State<ApiState>,
    _key: AdminKey,
    ApiQuery(params): ApiQuery<AuditParams>,
) -> Result<Json<AuditPage>, ApiError> {
    let limit = params.limit.unwrap_or(100);
    if limit == 0 || limit > 1000 {
        return Err(ApiError::bad_request(
            "bad_query",
            "limit must be between 1 and 1000",
        ));
    }
    if let Some(result) = params.result.as_deref() {
        if result != "accepted" && result != "rejected" {
            return Err(ApiError::bad_request(
                "bad_query",
                "result must be 'accepted' or 'rejected'",
            ));
        }
    }
    let since = match params.since.as_deref() {
        Some(text) => Some(parse_time(text).ok_or_else(|| {
            ApiError::bad_request(
                "bad_query",
                format!(
                    "since '{text}' is neither RFC 3339 (2024-05-01T12:00:00Z) nor Unix seconds"
                ),
            )
        })?),
        None => None,
    };
    let query = AuditQuery {
        username: params.username,
        result: params.result,
        since,
        limit,
        ..AuditQuery::default()
    };
    let records = state.audit.query(&query).await?;
    Ok(Json(AuditPage {
        records: records.into_iter().map(AuditView::from).collect(),
    }))
}
