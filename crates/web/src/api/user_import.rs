//! `POST /api/v1/users/import`: MFA Server's user records as CSV (admin scope).

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{post, MethodRouter};
use axum::Json;
use countersign_domain::admin::user_import::{parse, UserImporter};
use countersign_otp::import::MAX_FILE_BYTES;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::ApiState;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{AdminKey, ApiQuery};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct UserImportParams {
    /// Only check and count; change nothing.
    dry_run: Option<bool>,
    /// Send no welcome emails (by default the welcome-email rule decides).
    no_email: Option<bool>,
}

/// What a user import did, or on a dry run would do.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserImportSummary {
    dry_run: bool,
    /// User lines in the file.
    total: usize,
    created: usize,
    updated: usize,
    unchanged: usize,
    failed: Vec<UserImportProblem>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserImportProblem {
    /// The line (the header is line 1).
    at: usize,
    username: Option<String>,
    reason: String,
}

/// `POST` imports; the other methods still reach a user named `import`
/// (the static path would otherwise hide `/users/{username}` for it).
pub fn route() -> MethodRouter<crate::AppState> {
    use axum::extract::Path;
    post(import)
        .layer(axum::extract::DefaultBodyLimit::max(MAX_FILE_BYTES))
        .get(|state: State<ApiState>, key: AdminKey| async move {
            super::users::show(state, key, Path(NAME.into())).await
        })
        .patch(
            |state: State<ApiState>,
             key: AdminKey,
             body: crate::http::extract::ApiJson<crate::http::views::PatchUser>| async move {
                super::users::update(state, key, Path(NAME.into()), body).await
            },
        )
        .delete(|state: State<ApiState>, key: AdminKey| async move {
            super::users::remove(state, key, Path(NAME.into())).await
        })
}

/// The username the import path shadows.
const NAME: &str = "import";

#[utoipa::path(post, path = "/api/v1/users/import", operation_id = "import_users", params(UserImportParams), security(("bearer" = [])),
    request_body(content((String = "text/csv")), description = "CSV of user records with a header row"),
    responses((status = 200, body = UserImportSummary), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn import(
    State(state): State<ApiState>,
    _key: AdminKey,
    ApiQuery(params): ApiQuery<UserImportParams>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<UserImportSummary>, ApiError> {
    super::pool::refuse_declared_too_large(&headers)?;
    let data = axum::body::to_bytes(body, MAX_FILE_BYTES)
        .await
        .map_err(|_| super::pool::too_large())?;
    let rows = parse::parse(&data).map_err(|e| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "import_refused",
            e.to_string(),
        )
    })?;
    let dry_run = params.dry_run.unwrap_or(false);
    let importer = UserImporter::new(state.accounts.clone(), state.pool.clone());
    let report = importer.import(rows, dry_run, &mut |_, _| {}).await?;
    if !params.no_email.unwrap_or(false) && !dry_run {
        for name in &report.welcome {
            state.welcome.consider(name).await?;
        }
    }
    Ok(Json(UserImportSummary {
        dry_run,
        total: report.total,
        created: report.created,
        updated: report.updated,
        unchanged: report.unchanged,
        failed: report
            .failed
            .into_iter()
            .map(|f| UserImportProblem {
                at: f.at,
                username: f.username,
                reason: f.reason,
            })
            .collect(),
    }))
}
