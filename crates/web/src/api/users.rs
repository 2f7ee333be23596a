//! `/api/v1/users`: managing users (admin scope).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use countersign_domain::{NewUser, UserPatch, UserQuery};
use serde::Deserialize;
use utoipa::IntoParams;

use super::ApiState;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{AdminKey, ApiJson, ApiQuery};
use crate::http::views::{CreateUser, PatchUser, UserPage, UserView};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    /// Text to find in username, display name or email (ignoring case).
    query: Option<String>,
    /// Page size, 1 to 1000 (default 100).
    limit: Option<u32>,
    /// The last username of the previous page.
    after: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/users", operation_id = "create_user", request_body = CreateUser, security(("bearer" = [])),
    responses((status = 201, body = UserView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<ApiState>,
    AdminKey(key): AdminKey,
    ApiJson(body): ApiJson<CreateUser>,
) -> Result<(StatusCode, Json<UserView>), ApiError> {
    let new = NewUser {
        username: body.username,
        display_name: body.display_name,
        email: body.email,
        phone: body.phone,
    };
    let user = state.accounts.create_user(new).await?;
    tracing::info!(user = %user.username, by = %key.name, "user created");
    state.welcome.consider(&user.username).await?;
    Ok((StatusCode::CREATED, Json(user.into())))
}

#[utoipa::path(get, path = "/api/v1/users", operation_id = "list_users", params(ListParams), security(("bearer" = [])),
    responses((status = 200, body = UserPage), (status = 400, body = ErrorBody)))]
pub async fn list(
    State(state): State<ApiState>,
    _key: AdminKey,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<Json<UserPage>, ApiError> {
    let limit = params.limit.unwrap_or(100);
    if limit == 0 || limit > 1000 {
        return Err(ApiError::bad_request(
            "bad_query",
            "limit must be between 1 and 1000",
        ));
    }
    let users = state
        .accounts
        .list_users(UserQuery {
            query: params.query,
            limit,
            after: params.after,
            locked_at: None,
        })
        .await?;
    let next = (users.len() as u32 == limit)
        .then(|| users.last().map(|u| u.username.clone()))
        .flatten();
    Ok(Json(UserPage {
        users: users.into_iter().map(UserView::from).collect(),
        next,
    }))
}

#[utoipa::path(get, path = "/api/v1/users/{username}", operation_id = "get_user", security(("bearer" = [])),
    responses((status = 200, body = UserView), (status = 404, body = ErrorBody)))]
pub async fn show(
    State(state): State<ApiState>,
    _key: AdminKey,
    Path(username): Path<String>,
) -> Result<Json<UserView>, ApiError> {
    let user = state.accounts.user(&username).await?;
    let groups = state.groups.of_user(&user.id).await?;
    Ok(Json(UserView {
        groups: Some(groups),
        ..user.into()
    }))
}

#[utoipa::path(patch, path = "/api/v1/users/{username}", operation_id = "update_user", request_body = PatchUser, security(("bearer" = [])),
    responses((status = 200, body = UserView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(state): State<ApiState>,
    _key: AdminKey,
    Path(username): Path<String>,
    ApiJson(body): ApiJson<PatchUser>,
) -> Result<Json<UserView>, ApiError> {
    let patch = UserPatch {
        display_name: body.display_name,
        email: body.email,
        phone: body.phone,
        voice_phone: body.voice_phone,
        enabled: body.enabled,
        push_number_matching: body.push_number_matching,
        push_pin_required: body.push_pin_required,
        welcome_email: body.welcome_email,
        default_method: body.default_method,
        allowed_methods: body.allowed_methods,
        language: body.language,
    };
    let updated = state.accounts.update_user(&username, patch).await?;
    state.welcome.consider(&updated.username).await?;
    Ok(Json(updated.into()))
}

#[utoipa::path(delete, path = "/api/v1/users/{username}", operation_id = "delete_user", security(("bearer" = [])),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn remove(
    State(state): State<ApiState>,
    AdminKey(key): AdminKey,
    Path(username): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.accounts.delete_user(&username).await?;
    tracing::info!(user = %username, by = %key.name, "user deleted");
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/users/{username}/unlock", operation_id = "unlock_user", security(("bearer" = [])),
    responses((status = 200, body = UserView), (status = 404, body = ErrorBody)))]
pub async fn unlock(
    State(state): State<ApiState>,
    _key: AdminKey,
    Path(username): Path<String>,
) -> Result<Json<UserView>, ApiError> {
    let user = state.accounts.unlock(&username).await?;
    tracing::info!(user = %user.username, "user unlocked by an administrator");
    Ok(Json(user.into()))
}

/// A one-time bypass: the user's next sign-in within `seconds` needs no
/// second factor.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GrantBypass {
    /// How long the bypass waits to be used: 1 to 86400 (default 300).
    #[serde(default = "default_bypass_seconds")]
    seconds: i64,
    /// Why (kept in the audit trail and shown on the user).
    reason: String,
}

fn default_bypass_seconds() -> i64 {
    300
}

#[utoipa::path(post, path = "/api/v1/users/{username}/bypass", operation_id = "grant_bypass", request_body = GrantBypass, security(("bearer" = [])),
    responses((status = 200, body = UserView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn grant_bypass(
    State(state): State<ApiState>,
    AdminKey(key): AdminKey,
    Path(username): Path<String>,
    ApiJson(body): ApiJson<GrantBypass>,
) -> Result<Json<UserView>, ApiError> {
    let user = state
        .accounts
        .grant_bypass(&username, body.seconds, &body.reason)
        .await?;
    tracing::info!(user = %user.username, by = %key.name, seconds = body.seconds,
        reason = %body.reason, "one-time bypass granted");
    Ok(Json(user.into()))
}

#[utoipa::path(delete, path = "/api/v1/users/{username}/bypass", operation_id = "revoke_bypass", security(("bearer" = [])),
    responses((status = 200, body = UserView), (status = 404, body = ErrorBody)))]
pub async fn revoke_bypass(
    State(state): State<ApiState>,
    AdminKey(key): AdminKey,
    Path(username): Path<String>,
) -> Result<Json<UserView>, ApiError> {
    let user = state.accounts.revoke_bypass(&username).await?;
    tracing::info!(user = %user.username, by = %key.name, "one-time bypass withdrawn");
    Ok(Json(user.into()))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetPin {
    /// 4 to 12 digits; the user then types PIN + code.
    pin: String,
}

#[utoipa::path(put, path = "/api/v1/users/{username}/pin", operation_id = "set_pin", request_body = SetPin, security(("bearer" = [])),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_pin(
    State(state): State<ApiState>,
    AdminKey(key): AdminKey,
    Path(username): Path<String>,
    ApiJson(body): ApiJson<SetPin>,
) -> Result<StatusCode, ApiError> {
    state.accounts.set_pin(&username, Some(&body.pin)).await?;
    tracing::info!(user = %username, by = %key.name, "PIN set");
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(delete, path = "/api/v1/users/{username}/pin", operation_id = "clear_pin", security(("bearer" = [])),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn clear_pin(
    State(state): State<ApiState>,
    _key: AdminKey,
    Path(username): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.accounts.set_pin(&username, None).await?;
    Ok(StatusCode::NO_CONTENT)
}
