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
    /// Pushes show a number to pick on the phone (a user's own setting wins).
    pub push_number_matching: bool,
    /// Pushes need the PIN on the phone (a user's own setting wins).
    pub push_pin_required: bool,
    /// Pushes per user per minute (1 to 100) and per hour (up to 10000).
    pub push_per_minute: u32,
    pub push_per_hour: u32,
    /// The account name the authenticator, codes and welcome emails show.
    pub account_name: String,
}

impl From<Settings> for SettingsView {
    fn from(s: Settings) -> Self {
        Self {
            allow_method_choice: s.allow_method_choice,
            lockout_threshold: s.lockout_threshold,
            lockout_minutes: s.lockout_minutes,
            push_number_matching: s.push_number_matching,
            push_pin_required: s.push_pin_required,
            push_per_minute: s.push_per_minute,
            push_per_hour: s.push_per_hour,
            account_name: s.account_name,
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
    pub push_number_matching: Option<bool>,
    pub push_pin_required: Option<bool>,
    pub push_per_minute: Option<u32>,
    pub push_per_hour: Option<u32>,
    pub account_name: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/settings", operation_id = "get_settings", security(("bearer" = [])),
    responses((status = 200, body = SettingsView)))]
pub async fn show(State(state): State<AppState>, _key: AdminKey) -> Json<SettingsView> {
    Json(state.settings.current().into())
}

#[utoipa::path(patch, path = "/api/v1/settings", operation_id = "update_settings", request_body = SettingsPatch, security(("bearer" = [])),
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
    if let Some(v) = patch.push_number_matching {
        next.push_number_matching = v;
    }
    if let Some(v) = patch.push_pin_required {
        next.push_pin_required = v;
    }
    if let Some(v) = patch.push_per_minute {
        next.push_per_minute = v;
    }
    if let Some(v) = patch.push_per_hour {
        next.push_per_hour = v;
    }
    if let Some(v) = patch.account_name {
        next.account_name = v.trim().to_string();
    }
    let saved = state.settings.save(next).await?;
    tracing::info!(by = %key.name, "settings changed through the API");
    Ok(Json(saved.into()))
}
