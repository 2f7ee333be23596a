//! `/api/v1/tokens`: the pool of imported hardware tokens (admin scope):
//! import a PSKC or CSV file, list and search by serial, unassign.
//! Assigning is `POST /api/v1/users/{username}/tokens {"serial": ...}`.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{post, MethodRouter};
use axum::Json;
use countersign_domain::admin::pool::ImportReport;
use countersign_domain::model::pool::PoolQuery;
use countersign_otp::import::pskc::Protection;
use countersign_otp::import::{self, Format, MAX_FILE_BYTES};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::ApiState;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{AdminKey, ApiQuery};
use crate::http::views::{TokenList, TokenView};

/// The header with the pre-shared key (hex) of an encrypted PSKC file.
pub const KEY_HEADER: &str = "countersign-import-key";
/// The header with the password of a PBKDF2 PSKC file.
pub const PASSWORD_HEADER: &str = "countersign-import-password";

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ImportParams {
    /// `pskc` or `csv`; by default the Content-Type decides (`application/pskc+xml`, `text/csv`).
    format: Option<String>,
    /// Only check and count; import nothing.
    dry_run: Option<bool>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PoolParams {
    /// Serials starting with this text.
    serial: Option<String>,
    /// Only tokens not assigned to anyone.
    unassigned: Option<bool>,
    /// The last serial of the previous page.
    after: Option<String>,
    /// Page size, 1 to 1000 (default 100).
    limit: Option<u32>,
}

/// What an import did, or on a dry run would do.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportSummary {
    dry_run: bool,
    /// Tokens in the file.
    total: usize,
    imported: usize,
    /// Serials already imported (or twice in the file): skipped.
    duplicates: usize,
    /// Keys that are not OTP keys (a PSKC PIN key).
    skipped: Vec<ImportProblem>,
    /// Tokens not imported, by line (CSV) or key package (PSKC).
    failed: Vec<ImportProblem>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ImportProblem {
    /// CSV line or PSKC key package, from 1.
    at: usize,
    serial: Option<String>,
    reason: String,
}

pub fn import_route() -> MethodRouter<crate::AppState> {
    // The file may be larger than other requests' bodies.
    post(import).layer(axum::extract::DefaultBodyLimit::max(MAX_FILE_BYTES))
}

#[utoipa::path(post, path = "/api/v1/tokens/import", operation_id = "import_tokens", params(ImportParams), security(("bearer" = [])),
    request_body(content((String = "text/csv"), (String = "application/pskc+xml")), description = "A CSV or PSKC (RFC 6030) file of token seeds"),
    responses((status = 200, body = ImportSummary), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn import(
    State(state): State<ApiState>,
    _key: AdminKey,
    ApiQuery(params): ApiQuery<ImportParams>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<ImportSummary>, ApiError> {
    let format = format_of(params.format.as_deref(), &headers)?;
    let protection = protection_of(&headers)?;
    refuse_declared_too_large(&headers)?;
    // At most the limit is ever held in memory, whatever the body claims.
    let data = axum::body::to_bytes(body, MAX_FILE_BYTES)
        .await
        .map_err(|_| too_large())?;
    // Parsing (and PBKDF2) is CPU work: off the async threads.
    let entries = tokio::task::spawn_blocking(move || import::parse(&data, format, &protection))
        .await
        .map_err(|_| ApiError::invalid("the file could not be read"))?
        .map_err(|e| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "import_refused",
                e.to_string(),
            )
        })?;
    let report = state
        .pool
        .import(entries, params.dry_run.unwrap_or(false), &mut |_, _| {})
        .await?;
    Ok(Json(summary(report)))
}

/// Refuses a body whose Content-Length is over the file limit, before reading it.
pub(crate) fn refuse_declared_too_large(headers: &HeaderMap) -> Result<(), ApiError> {
    let declared = headers
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_FILE_BYTES as u64) {
        return Err(too_large());
    }
    Ok(())
}

pub(crate) fn too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "body_too_large",
        format!(
            "the file is over {MAX_FILE_BYTES} bytes; split it into smaller files \
             (importing again skips what is already imported)"
        ),
    )
}

fn format_of(param: Option<&str>, headers: &HeaderMap) -> Result<Option<Format>, ApiError> {
    if let Some(name) = param {
        return name.parse().map(Some).map_err(ApiError::invalid);
    }
    let content_type = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    Ok(if content_type.contains("xml") {
        Some(Format::Pskc)
    } else if content_type.contains("csv") {
        Some(Format::Csv)
    } else {
        None
    })
}

fn protection_of(headers: &HeaderMap) -> Result<Protection, ApiError> {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    if let Some(key) = text(KEY_HEADER) {
        return Protection::key_from_text(&key)
            .map_err(|e| ApiError::invalid(format!("{KEY_HEADER}: {e}")));
    }
    Ok(text(PASSWORD_HEADER)
        .map(Protection::Password)
        .unwrap_or_default())
}

fn summary(report: ImportReport) -> ImportSummary {
    let problems = |list: Vec<countersign_domain::admin::pool::Failure>| {
        list.into_iter()
            .map(|f| ImportProblem {
                at: f.at,
                serial: f.serial,
                reason: f.reason,
            })
            .collect()
    };
    ImportSummary {
        dry_run: report.dry_run,
        total: report.total,
        imported: report.imported,
        duplicates: report.duplicates,
        skipped: problems(report.skipped),
        failed: problems(report.failed),
    }
}

#[utoipa::path(get, path = "/api/v1/tokens", operation_id = "list_pool_tokens", params(PoolParams), security(("bearer" = [])),
    responses((status = 200, body = TokenList), (status = 400, body = ErrorBody)))]
pub async fn list(
    State(state): State<ApiState>,
    _key: AdminKey,
    ApiQuery(params): ApiQuery<PoolParams>,
) -> Result<Json<TokenList>, ApiError> {
    let query = PoolQuery {
        serial: params.serial,
        unassigned_only: params.unassigned.unwrap_or(false),
        after: params.after,
        limit: params.limit.unwrap_or(100),
    };
    let tokens = state.pool.list(&query).await?;
    Ok(Json(TokenList {
        tokens: tokens
            .into_iter()
            .map(|t| {
                let mut view = TokenView::from(t.token);
                view.assigned_to = Some(t.assigned_to);
                view
            })
            .collect(),
    }))
}

#[utoipa::path(post, path = "/api/v1/tokens/{serial}/unassign", operation_id = "unassign_token", security(("bearer" = [])),
    params(("serial" = String, Path, description = "The token's serial number")),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn unassign(
    State(state): State<ApiState>,
    _key: AdminKey,
    Path(serial): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.pool.unassign(&serial).await?;
    Ok(StatusCode::NO_CONTENT)
}
