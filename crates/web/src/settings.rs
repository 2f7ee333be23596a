//! `/api/v1/settings` (admin scope): the policy kept in the store, which
//! the engine obeys at once (other nodes within seconds).

use axum::extract::State;
use axum::Json;
use countersign_domain::settings::Settings;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiError, ErrorBody};
use crate::extract::{AdminKey, ApiJson};
use crate::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct SettingsView {
    /// Off: a door that names a method other than the user's default is refused.
    pub allow_method_choice: bool,
    /// Consecutive failures that lock a user (1 to 1000).
    pub lockout_threshold: u32,
    /// How long a lock lasts, in minutes (1 to 10080).
    pub lockout_minutes: u32,
}

impl From<Settings> for SettingsView {
    fn from(s: Settings) -> Self {
        Self {
            allow_method_choice: s.allow_method_choice,
            lockout_threshold: s.lockout_threshold,
            lockout_minutes: s.lockout_minutes,
        }
    }
}

/// The fields to change; absent fields keep their value.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsPatch {
    pub allow_method_choice: Option<bool>,
    pub lockout_threshold: Option<u32>,
    pub lockout_minutes: Option<u32>,
}

#[utoipa::path(get, path = "/api/v1/settings", security(("bearer" = [])),
    responses((status = 200, body = SettingsView)))]
pub async fn show(State(state): State<AppState>, _key: AdminKey) -> Json<SettingsView> {
    Json(state.settings.current().into())
}

#[utoipa::path(patch, path = "/api/v1/settings", request_body = SettingsPatch, security(("bearer" = [])),
    responses((status = 200, body = SettingsView), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    AdminKey(key): AdminKey,
    ApiJson(patch): ApiJson<SettingsPatch>,
) -> Result<Json<SettingsView>, ApiError> {
    let mut next = state.settings.current();
    if let Some(v) = patch.allow_method_choice {
        next.allow_method_choice = v;
    }
    if let Some(v) = patch.lockout_threshold {
        next.lockout_threshold = v;
    }
    if let Some(v) = patch.lockout_minutes {
        next.lockout_minutes = v;
    }
    let saved = state.settings.save(next).await?;
    tracing::info!(by = %key.name, "settings changed through the API");
    Ok(Json(saved.into()))
}
