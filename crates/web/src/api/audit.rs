//! `GET /api/v1/audit`: the verification trail (admin scope), a page at a
//! time: newest first (`before` walks back), or oldest first from `after`
//! (a reader that walks forward while records arrive sees each once).

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
    /// `accepted`, `rejected` or `admin`.
    result: Option<String>,
    /// RFC 3339 time or Unix seconds: only records at or after it.
    since: Option<String>,
    /// RFC 3339 time or Unix seconds: only records before it.
    until: Option<String>,
    /// At most this many records (1 to 1000, default 100).
    limit: Option<u32>,
    /// Records after this `seq`, oldest first; the page's `next` is the
    /// `after` of the following page.
    after: Option<i64>,
    /// Records before this `seq`, newest first (the page's `next`).
    before: Option<i64>,
}

/// The filters both the list and the export take.
pub(crate) struct Filters {
    pub username: Option<String>,
    pub result: Option<String>,
    pub since: Option<i64>,
    pub until: Option<i64>,
}

pub(crate) fn filters(
    username: Option<String>,
    result: Option<String>,
    since: Option<&str>,
    until: Option<&str>,
) -> Result<Filters, ApiError> {
    if let Some(result) = result.as_deref() {
        if !["accepted", "rejected", "admin"].contains(&result) {
            return Err(ApiError::bad_request(
                "bad_query",
                "result must be 'accepted', 'rejected' or 'admin'",
            ));
        }
    }
    Ok(Filters {
        username,
        result,
        since: time_param("since", since)?,
        until: time_param("until", until)?,
    })
}

fn time_param(name: &str, text: Option<&str>) -> Result<Option<i64>, ApiError> {
    let Some(text) = text else { return Ok(None) };
    parse_time(text).map(Some).ok_or_else(|| {
        ApiError::bad_request(
            "bad_query",
            format!("{name} '{text}' is neither RFC 3339 (2024-05-01T12:00:00Z) nor Unix seconds"),
        )
    })
}

impl Filters {
    pub(crate) fn query(self, limit: u32) -> AuditQuery {
        AuditQuery {
            username: self.username,
            result: self.result,
            since: self.since,
            until: self.until,
            limit,
            ..AuditQuery::default()
        }
    }
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
    for (name, value) in [("after", params.after), ("before", params.before)] {
        if value.is_some_and(|v| v < 0) {
            return Err(ApiError::bad_request(
                "bad_query",
                format!("{name} must be a record's seq (0 or more)"),
            ));
        }
    }
    let found = filters(
        params.username,
        params.result,
        params.since.as_deref(),
        params.until.as_deref(),
    )?;
    let query = AuditQuery {
        after_seq: params.after,
        before_seq: params.before,
        ..found.query(limit)
    };
    let records = state.audit.page(&query).await?;
    let last = records.last().map(|(seq, _)| *seq);
    let next = match query.after_seq {
        Some(after) => Some(last.unwrap_or(after)),
        None => last.filter(|_| records.len() as u32 == limit),
    };
    Ok(Json(AuditPage {
        records: records
            .into_iter()
            .map(|(seq, r)| AuditView::new(seq, r))
            .collect(),
        next,
    }))
}
