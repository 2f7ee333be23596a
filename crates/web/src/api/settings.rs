//! `/api/v1/settings` (admin scope): the policy kept in the store, which
//! the engine obeys at once (other nodes within seconds).

use axum::extract::State;
use axum::Json;
use countersign_domain::admin::settings::Settings;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::ApiState;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{AdminKey, ApiJson};

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
    /// Portal: a user with no method may sign in with the first factor alone, to enrol one.
    pub allow_user_enrolment: bool,
    /// Portal: users may activate the Countersign authenticator.
    pub allow_app_activation: bool,
    /// Portal: users may add a TOTP token for any authenticator app.
    pub allow_token_enrolment: bool,
    /// Portal: users may change their phone (confirmed by a texted code).
    pub allow_phone_change: bool,
    /// Portal: users may change their email address (confirmed by an emailed code).
    pub allow_email_change: bool,
    /// Portal: users may remove their last way to sign in.
    pub allow_remove_last_method: bool,
    /// The fewest digits of a PIN set in the portal (4 to 12).
    pub pin_min_length: u32,
    /// Passkeys: only these AAGUIDs may register (empty: any authenticator).
    pub webauthn_aaguid_allow: Vec<String>,
    /// Passkeys: `none` or `direct` attestation at registration.
    pub webauthn_attestation: String,
    /// Passkeys: `required`, `preferred` or `discouraged` user verification.
    pub webauthn_user_verification: String,
    /// Passkeys: how long a ceremony's challenge is valid (1 to 3600 seconds).
    pub webauthn_challenge_seconds: u32,
    /// Administrators who have a passkey must use it (their TOTP is refused).
    pub admins_must_use_passkey: bool,
    /// `/sso` sessions (forward auth, OpenID Provider): idle limit in minutes (1 to 10080).
    pub sso_idle_minutes: u32,
    /// `/sso` sessions: absolute limit in hours after sign-in (1 to 720).
    pub sso_absolute_hours: u32,
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
            allow_user_enrolment: s.allow_user_enrolment,
            allow_app_activation: s.allow_app_activation,
            allow_token_enrolment: s.allow_token_enrolment,
            allow_phone_change: s.allow_phone_change,
            allow_email_change: s.allow_email_change,
            allow_remove_last_method: s.allow_remove_last_method,
            pin_min_length: s.pin_min_length,
            webauthn_aaguid_allow: s.webauthn_aaguid_allow,
            webauthn_attestation: s.webauthn_attestation,
            webauthn_user_verification: s.webauthn_user_verification,
            webauthn_challenge_seconds: s.webauthn_challenge_seconds,
            admins_must_use_passkey: s.admins_must_use_passkey,
            sso_idle_minutes: s.sso_idle_minutes,
            sso_absolute_hours: s.sso_absolute_hours,
        }
    }
}

/// The fields to change; absent fields keep their value.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
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
    pub allow_user_enrolment: Option<bool>,
    pub allow_app_activation: Option<bool>,
    pub allow_token_enrolment: Option<bool>,
    pub allow_phone_change: Option<bool>,
    pub allow_email_change: Option<bool>,
    pub allow_remove_last_method: Option<bool>,
    pub pin_min_length: Option<u32>,
    pub webauthn_aaguid_allow: Option<Vec<String>>,
    pub webauthn_attestation: Option<String>,
    pub webauthn_user_verification: Option<String>,
    pub webauthn_challenge_seconds: Option<u32>,
    pub admins_must_use_passkey: Option<bool>,
    pub sso_idle_minutes: Option<u32>,
    pub sso_absolute_hours: Option<u32>,
}

#[utoipa::path(get, path = "/api/v1/settings", operation_id = "get_settings", security(("bearer" = [])),
    responses((status = 200, body = SettingsView)))]
pub async fn show(State(state): State<ApiState>, _key: AdminKey) -> Json<SettingsView> {
    Json(state.settings.current().into())
}

#[utoipa::path(patch, path = "/api/v1/settings", operation_id = "update_settings", request_body = SettingsPatch, security(("bearer" = [])),
    responses((status = 200, body = SettingsView), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(state): State<ApiState>,
    AdminKey(key): AdminKey,
    ApiJson(patch): ApiJson<SettingsPatch>,
) -> Result<Json<SettingsView>, ApiError> {
    let fields = match serde_json::to_value(&patch) {
        Ok(serde_json::Value::Object(fields)) => fields,
        _ => serde_json::Map::new(),
    };
    let mut next = state.settings.current().merged(fields)?;
    next.account_name = next.account_name.trim().to_string();
    let saved = state.settings.save(next).await?;
    tracing::info!(by = %key.name, "settings changed through the API");
    Ok(Json(saved.into()))
}
