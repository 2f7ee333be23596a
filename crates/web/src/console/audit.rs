//! The audit page: filters, pages, and a CSV export of the filtered set,
//! streamed page by page from the store so it can be of any size.

use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use countersign_domain::model::audit::{AuditQuery, AuditRecord};
use countersign_domain::ports::clock::{parse_time, rfc3339};
use countersign_domain::Reason;
use minijinja::value::Serde;
use minijinja::{context, Value};
use serde::{Deserialize, Serialize};

use super::guard::{Staff, Visitor};
use super::page::{base, failure, render, when};
use super::users::encode;
use super::ConsoleState;
use crate::http::export::{self, Walk};

const PAGE: u32 = 100;
const EXPORT_PAGE: u32 = 1000;

/// The filters as typed (kept in the form and the export link).
#[derive(Deserialize, Serialize, Default, Clone)]
pub struct Filters {
    #[serde(default)]
    user: String,
    #[serde(default)]
    result: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    method: String,
    #[serde(default)]
    client: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default, skip_serializing)]
    before: Option<i64>,
}

fn given(text: &str) -> Option<String> {
    Some(text.trim().to_string()).filter(|t| !t.is_empty())
}

/// A time from the form (`2026-12-03T07:15`, read as UTC) or RFC 3339.
fn time_of(text: &str, field: &str) -> Result<Option<i64>, String> {
    let Some(text) = given(text) else {
        return Ok(None);
    };
    let full = match text.len() {
        16 => format!("{text}:00Z"),
        19 => format!("{text}Z"),
        _ => text.clone(),
    };
    parse_time(&full)
        .map(Some)
        .ok_or_else(|| format!("{field}: '{text}' is not a date and time like 2026-12-03T07:15"))
}

impl Filters {
    fn query(&self, limit: u32) -> Result<AuditQuery, String> {
        Ok(AuditQuery {
            username: given(&self.user),
            result: given(&self.result),
            reason: given(&self.reason),
            method: given(&self.method),
            client: given(&self.client),
            since: time_of(&self.from, "From")?,
            until: time_of(&self.to, "To")?,
            before_seq: self.before,
            after_seq: None,
            limit,
        })
    }

    /// The filters as a query string (for the export and next-page links).
    fn encoded(&self) -> String {
        let pairs = [
            ("user", &self.user),
            ("result", &self.result),
            ("reason", &self.reason),
            ("method", &self.method),
            ("client", &self.client),
            ("from", &self.from),
            ("to", &self.to),
        ];
        pairs
            .iter()
            .filter(|(_, v)| !v.trim().is_empty())
            .map(|(k, v)| format!("{k}={}", encode(v.trim())))
            .collect::<Vec<_>>()
            .join("&")
    }
}

pub fn record_rows(records: &[AuditRecord]) -> Vec<Value> {
    records
        .iter()
        .map(|r| {
            context! { at => when(r.at), username => r.username.clone(), result => r.result.clone(),
            reason => r.reason.clone(), method => r.method.clone(), api_key => r.api_key.clone(),
            source_address => r.source_address.clone() }
        })
        .collect()
}

pub async fn list(
    State(state): State<ConsoleState>,
    _staff: Staff,
    visitor: Visitor,
    Query(filters): Query<Filters>,
) -> Response {
    let (records, error) = match filters.query(PAGE) {
        Ok(query) => match state.audit.page(&query).await {
            Ok(records) => (records, None),
            Err(e) => return failure(e),
        },
        Err(message) => (Vec::new(), Some(message)),
    };
    let next = (records.len() as u32 == PAGE)
        .then(|| records.last().map(|(seq, _)| *seq))
        .flatten();
    let records: Vec<AuditRecord> = records.into_iter().map(|(_, r)| r).collect();
    let reason_codes: Vec<&str> = Reason::ALL.iter().map(|r| r.as_str()).collect();
    let status = match error {
        Some(_) => StatusCode::UNPROCESSABLE_ENTITY,
        None => StatusCode::OK,
    };
    let ctx = context! { title => "Audit", records => record_rows(&records), f => Serde(&filters),
    query => filters.encoded(), next => next, error => error, reason_codes => reason_codes,
    ..base(&state, &visitor, "audit") };
    render(status, "audit.html", ctx)
}

pub async fn csv(
    State(state): State<ConsoleState>,
    staff: Staff,
    Query(filters): Query<Filters>,
) -> Response {
    let query = match filters.query(EXPORT_PAGE) {
        Ok(query) => query,
        Err(message) => {
            return super::page::error_page(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Not accepted",
                &message,
                Some("/admin/audit"),
            )
        }
    };
    tracing::info!(admin = %staff.0.subject.name, filters = %filters.encoded(), "audit export started");
    let header = "time,username,result,reason,method,client,address,token\n";
    let render = |_: i64, r: &AuditRecord| csv_line(r);
    let body = export::audit_records(
        state.audit.clone(),
        query,
        Walk::NewestFirst,
        Some(header),
        render,
    );
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"countersign-audit.csv\"",
            ),
        ],
        body,
    )
        .into_response()
}

fn csv_line(r: &AuditRecord) -> String {
    countersign_domain::admin::csv::line(&[
        rfc3339(r.at),
        r.username.clone(),
        r.result.clone(),
        r.reason.clone().unwrap_or_default(),
        r.method.clone(),
        r.api_key.clone().unwrap_or_default(),
        r.source_address.clone().unwrap_or_default(),
        r.token_id.clone().unwrap_or_default(),
    ])
}
