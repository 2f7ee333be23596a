//! `GET /api/v1/audit/export`: every record the filters select, oldest
//! first, as CSV (the console's formula defusing applies) or JSON lines,
//! streamed page by page from the store so it can be of any size.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use countersign_domain::ports::clock::rfc3339;
use countersign_domain::AuditRecord;
use serde::Deserialize;
use utoipa::IntoParams;

use super::audit::filters;
use super::ApiState;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::export::{self, Walk};
use crate::http::extract::{AdminKey, ApiQuery};
use crate::http::views::AuditView;

const PAGE: u32 = 1000;
pub const CSV_HEADER: &str = "seq,time,username,result,reason,method,client,address,token,id\n";

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ExportParams {
    /// `csv` or `jsonl` (one JSON object per line, as `GET /api/v1/audit`'s records).
    format: String,
    username: Option<String>,
    /// `accepted`, `rejected` or `admin`.
    result: Option<String>,
    /// RFC 3339 time or Unix seconds: only records at or after it.
    since: Option<String>,
    /// RFC 3339 time or Unix seconds: only records before it.
    until: Option<String>,
}

#[derive(Clone, Copy)]
enum Format {
    Csv,
    Jsonl,
}

#[utoipa::path(get, path = "/api/v1/audit/export", operation_id = "export_audit", params(ExportParams), security(("bearer" = [])),
    responses((status = 200, description = "The records, oldest first, streamed", content(("text/csv"), ("application/x-ndjson"))),
        (status = 400, body = ErrorBody)))]
pub async fn export(
    State(state): State<ApiState>,
    key: AdminKey,
    ApiQuery(params): ApiQuery<ExportParams>,
) -> Result<Response, ApiError> {
    let format = match params.format.as_str() {
        "csv" => Format::Csv,
        "jsonl" => Format::Jsonl,
        other => {
            return Err(ApiError::bad_request(
                "bad_query",
                format!("format '{other}' is not known: use csv or jsonl"),
            ))
        }
    };
    let found = filters(
        params.username,
        params.result,
        params.since.as_deref(),
        params.until.as_deref(),
    )?;
    let mut query = found.query(PAGE);
    query.after_seq = Some(0);
    tracing::info!(api_key = %key.0.name, "audit export started");
    let header = matches!(format, Format::Csv).then_some(CSV_HEADER);
    let render = move |seq: i64, r: &AuditRecord| line(format, seq, r);
    let body = export::audit_records(
        state.audit.clone(),
        query,
        Walk::OldestFirst,
        header,
        render,
    );
    let content_type = match format {
        Format::Csv => "text/csv; charset=utf-8",
        Format::Jsonl => "application/x-ndjson",
    };
    Ok(([(header::CONTENT_TYPE, content_type)], body).into_response())
}

fn line(format: Format, seq: i64, r: &AuditRecord) -> String {
    match format {
        Format::Csv => csv_line(seq, r),
        Format::Jsonl => {
            let view = AuditView::new(seq, r.clone());
            let mut text = serde_json::to_string(&view).unwrap_or_default();
            text.push('\n');
            text
        }
    }
}

/// One CSV line, each field through the shared quoting and formula defusing.
pub fn csv_line(seq: i64, r: &AuditRecord) -> String {
    countersign_domain::admin::csv::line(&[
        seq.to_string(),
        rfc3339(r.at),
        r.username.clone(),
        r.result.clone(),
        r.reason.clone().unwrap_or_default(),
        r.method.clone(),
        r.api_key.clone().unwrap_or_default(),
        r.source_address.clone().unwrap_or_default(),
        r.token_id.clone().unwrap_or_default(),
        r.id.clone(),
    ])
}
