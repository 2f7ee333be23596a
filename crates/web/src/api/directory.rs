//! `GET /api/v1/directory/status` (admin scope): whether a directory is
//! configured and the last sync's summary, for monitoring.

use axum::extract::State;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use super::ApiState;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::AdminKey;

#[derive(Debug, Serialize, ToSchema)]
pub struct DirectoryStatus {
    /// `directory.url` is set.
    pub configured: bool,
    pub last_run: Option<SyncRun>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SyncRun {
    /// RFC 3339.
    pub at: String,
    /// `applied`, `awaiting_approval` (run `countersign directory sync --approve`).
    pub status: String,
    pub seen: usize,
    pub added: usize,
    pub updated: usize,
    pub disabled: usize,
    pub removed: usize,
    pub errors: Vec<String>,
    pub duration_ms: u64,
}

#[utoipa::path(get, path = "/api/v1/directory/status", operation_id = "get_directory_status", security(("bearer" = [])),
    responses((status = 200, body = DirectoryStatus), (status = 401, body = ErrorBody)))]
pub async fn status(
    State(state): State<ApiState>,
    _key: AdminKey,
) -> Result<Json<DirectoryStatus>, ApiError> {
    let last = state.directory_status.last_run().await?;
    Ok(Json(DirectoryStatus {
        configured: state.directory_configured,
        last_run: last.map(|r| SyncRun {
            at: countersign_domain::ports::clock::rfc3339(r.at),
            status: r.status,
            seen: r.seen,
            added: r.added,
            updated: r.updated,
            disabled: r.disabled,
            removed: r.removed,
            errors: r.errors,
            duration_ms: r.duration_ms,
        }),
    }))
}
