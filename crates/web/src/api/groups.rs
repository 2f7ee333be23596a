//! `/api/v1/groups` (admin scope): local groups made, listed, shown and
//! removed, and their members added and removed. Groups the directory
//! sync keeps are shown like the others and refused any change (409, in
//! words: their members are the directory's).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use countersign_domain::admin::groups::GroupDetail;
use countersign_domain::model::group::{Group, GroupSummary};
use countersign_domain::ports::clock::rfc3339;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::ApiState;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{AdminKey, ApiJson};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateGroup {
    /// 1 to 256 characters; names compare without case.
    pub name: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddMember {
    pub username: String,
}

/// A group as lists show it.
#[derive(Debug, Serialize, ToSchema)]
pub struct GroupView {
    pub name: String,
    /// `local` (kept here) or `directory` (kept by the directory sync: read-only).
    pub source: String,
    /// The directory's DN for a directory group.
    pub dn: Option<String>,
    pub created_at: String,
    pub member_count: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GroupList {
    pub groups: Vec<GroupView>,
}

/// A group and its members' usernames.
#[derive(Debug, Serialize, ToSchema)]
pub struct GroupDetailView {
    pub name: String,
    pub source: String,
    pub dn: Option<String>,
    pub created_at: String,
    pub members: Vec<String>,
}

fn view(group: Group, member_count: i64) -> GroupView {
    GroupView {
        name: group.name,
        source: group.source.as_str().to_string(),
        dn: group.dn,
        created_at: rfc3339(group.created_at),
        member_count,
    }
}

impl From<GroupSummary> for GroupView {
    fn from(s: GroupSummary) -> Self {
        view(s.group, s.members)
    }
}

impl From<GroupDetail> for GroupDetailView {
    fn from(d: GroupDetail) -> Self {
        GroupDetailView {
            name: d.group.name,
            source: d.group.source.as_str().to_string(),
            dn: d.group.dn,
            created_at: rfc3339(d.group.created_at),
            members: d.members.into_iter().map(|m| m.username).collect(),
        }
    }
}

#[utoipa::path(post, path = "/api/v1/groups", operation_id = "create_group", request_body = CreateGroup, security(("bearer" = [])),
    responses((status = 201, body = GroupView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<ApiState>,
    _key: AdminKey,
    ApiJson(body): ApiJson<CreateGroup>,
) -> Result<(StatusCode, Json<GroupView>), ApiError> {
    let group = state.groups.create(&body.name).await?;
    tracing::info!(group = %group.name, "group created over the API");
    Ok((StatusCode::CREATED, Json(view(group, 0))))
}

#[utoipa::path(get, path = "/api/v1/groups", operation_id = "list_groups", security(("bearer" = [])),
    responses((status = 200, body = GroupList)))]
pub async fn list(
    State(state): State<ApiState>,
    _key: AdminKey,
) -> Result<Json<GroupList>, ApiError> {
    let groups = state.groups.list().await?;
    Ok(Json(GroupList {
        groups: groups.into_iter().map(GroupView::from).collect(),
    }))
}

#[utoipa::path(get, path = "/api/v1/groups/{name}", operation_id = "get_group", security(("bearer" = [])),
    responses((status = 200, body = GroupDetailView), (status = 404, body = ErrorBody)))]
pub async fn show(
    State(state): State<ApiState>,
    _key: AdminKey,
    Path(name): Path<String>,
) -> Result<Json<GroupDetailView>, ApiError> {
    Ok(Json(state.groups.show(&name).await?.into()))
}

#[utoipa::path(delete, path = "/api/v1/groups/{name}", operation_id = "delete_group", security(("bearer" = [])),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "a directory group")))]
pub async fn remove(
    State(state): State<ApiState>,
    _key: AdminKey,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    let group = state.groups.delete(&name).await?;
    tracing::info!(group = %group.name, "group removed over the API");
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/groups/{name}/members", operation_id = "add_group_member", request_body = AddMember, security(("bearer" = [])),
    responses((status = 201, body = GroupDetailView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "already a member, or a directory group")))]
pub async fn add_member(
    State(state): State<ApiState>,
    _key: AdminKey,
    Path(name): Path<String>,
    ApiJson(body): ApiJson<AddMember>,
) -> Result<(StatusCode, Json<GroupDetailView>), ApiError> {
    let group = state.groups.add_member(&name, &body.username).await?;
    tracing::info!(group = %group.name, user = %body.username, "group member added over the API");
    let detail = state.groups.show(&group.name).await?;
    Ok((StatusCode::CREATED, Json(detail.into())))
}

#[utoipa::path(delete, path = "/api/v1/groups/{name}/members/{username}", operation_id = "remove_group_member", security(("bearer" = [])),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "a directory group")))]
pub async fn remove_member(
    State(state): State<ApiState>,
    _key: AdminKey,
    Path((name, username)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let group = state.groups.remove_member(&name, &username).await?;
    tracing::info!(group = %group.name, user = %username, "group member removed over the API");
    Ok(StatusCode::NO_CONTENT)
}
