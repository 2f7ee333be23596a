//! `GET /api/v1/diagnostics`: what `countersign doctor` finds, as JSON (admin scope).

use axum::extract::State;
use axum::Json;
use countersign_domain::ports::diagnostics::Status;
use serde::Serialize;
use utoipa::ToSchema;

use super::ApiState;
use crate::http::error::ErrorBody;
use crate::http::extract::AdminKey;

#[derive(Debug, Serialize, ToSchema)]
pub struct FindingView {
    /// Dotted name of the check, e.g. `certificate.chain`.
    pub check: String,
    /// `pass`, `warn` or `fail`.
    pub status: String,
    pub message: String,
    pub fix: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DiagnosticsReport {
    /// The worst status of all findings.
    pub status: String,
    pub findings: Vec<FindingView>,
}

fn status_text(status: Status) -> String {
    status.label().to_lowercase()
}

#[utoipa::path(get, path = "/api/v1/diagnostics", operation_id = "get_diagnostics", security(("bearer" = [])),
    responses((status = 200, body = DiagnosticsReport), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn report(State(state): State<ApiState>, _key: AdminKey) -> Json<DiagnosticsReport> {
    let findings = state.diagnostics.run().await;
    let worst = findings
        .iter()
        .map(|f| f.status)
        .max()
        .unwrap_or(Status::Pass);
    Json(DiagnosticsReport {
        status: status_text(worst),
        findings: findings
            .into_iter()
            .map(|f| FindingView {
                check: f.check,
                status: status_text(f.status),
                message: f.message,
                fix: f.fix,
            })
            .collect(),
    })
}
