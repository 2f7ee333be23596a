//! Groups: the list with member counts, a new local group, a group's
//! members (added and removed by editors), removing a local group. Groups
//! the directory sync keeps are shown read-only; the domain refuses any
//! change to them in words.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use countersign_domain::DomainError;
use minijinja::{context, Value};
use serde::Deserialize;

use super::guard::{audit, Editor, Staff, Visitor};
use super::page::{base, failure, render, when};
use super::users::encode;
use super::ConsoleState;

#[derive(Deserialize, Default)]
pub struct NameForm {
    #[serde(default)]
    name: String,
}

#[derive(Deserialize, Default)]
pub struct MemberForm {
    #[serde(default)]
    username: String,
}

/// The groups pages' routes, under `/admin`.
pub fn routes() -> axum::Router<crate::AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/groups", get(list).post(create))
        .route("/groups/{name}", get(show))
        .route("/groups/{name}/delete", post(delete))
        .route("/groups/{name}/members", post(add_member))
        .route(
            "/groups/{name}/members/{username}/remove",
            post(remove_member),
        )
}

pub async fn list(State(state): State<ConsoleState>, staff: Staff, visitor: Visitor) -> Response {
    list_page(&state, &staff, &visitor, "", None).await
}

async fn list_page(
    state: &ConsoleState,
    staff: &Staff,
    visitor: &Visitor,
    name: &str,
    error: Option<String>,
) -> Response {
    let groups = match state.groups.list().await {
        Ok(groups) => groups,
        Err(e) => return failure(e),
    };
    let rows: Vec<Value> = groups
        .iter()
        .map(|g| {
            context! { name => g.group.name.clone(), source => g.group.source.as_str(),
            dn => g.group.dn.clone(), members => g.members, created_at => when(g.group.created_at) }
        })
        .collect();
    let status = match error {
        Some(_) => StatusCode::UNPROCESSABLE_ENTITY,
        None => StatusCode::OK,
    };
    let ctx = context! { title => "Groups", groups => rows, name => name, error => error,
    may_edit => staff.may_edit_users(), ..base(state, visitor, "groups") };
    render(status, "groups.html", ctx)
}

pub async fn create(
    State(state): State<ConsoleState>,
    Editor(staff): Editor,
    visitor: Visitor,
    Form(form): Form<NameForm>,
) -> Response {
    match state.groups.create(&form.name).await {
        Ok(group) => {
            let action = format!("create_group {}", group.name);
            audit(&state, &staff, &visitor, &action, "-").await;
            see_group(&group.name)
        }
        Err(DomainError::Invalid { message, .. }) | Err(DomainError::Conflict(message)) => {
            list_page(&state, &staff, &visitor, &form.name, Some(message)).await
        }
        Err(e) => failure(e),
    }
}

pub async fn show(
    State(state): State<ConsoleState>,
    staff: Staff,
    visitor: Visitor,
    Path(name): Path<String>,
) -> Response {
    group_page(&state, &staff, &visitor, &name, "", None).await
}

async fn group_page(
    state: &ConsoleState,
    staff: &Staff,
    visitor: &Visitor,
    name: &str,
    username: &str,
    error: Option<String>,
) -> Response {
    let detail = match state.groups.show(name).await {
        Ok(detail) => detail,
        Err(e) => return failure(e),
    };
    let members: Vec<String> = detail.members.iter().map(|m| m.username.clone()).collect();
    let status = match error {
        Some(_) => StatusCode::UNPROCESSABLE_ENTITY,
        None => StatusCode::OK,
    };
    let g = &detail.group;
    let ctx = context! { title => g.name.clone(), group => context! { name => g.name.clone(),
    source => g.source.as_str(), dn => g.dn.clone(), created_at => when(g.created_at) },
    members => members, username => username, error => error,
    local => g.source == countersign_domain::model::group::GroupSource::Local,
    may_edit => staff.may_edit_users(), ..base(state, visitor, "groups") };
    render(status, "group.html", ctx)
}

pub async fn add_member(
    State(state): State<ConsoleState>,
    Editor(staff): Editor,
    visitor: Visitor,
    Path(name): Path<String>,
    Form(form): Form<MemberForm>,
) -> Response {
    let username = form.username.trim();
    match state.groups.add_member(&name, username).await {
        Ok(group) => {
            let action = format!("add_group_member {}", group.name);
            audit(&state, &staff, &visitor, &action, username).await;
            see_group(&group.name)
        }
        Err(
            e @ (DomainError::Invalid { .. }
            | DomainError::Conflict(_)
            | DomainError::NotFound { .. }),
        ) => {
            group_page(
                &state,
                &staff,
                &visitor,
                &name,
                username,
                Some(e.to_string()),
            )
            .await
        }
        Err(e) => failure(e),
    }
}

pub async fn remove_member(
    State(state): State<ConsoleState>,
    Editor(staff): Editor,
    visitor: Visitor,
    Path((name, username)): Path<(String, String)>,
) -> Response {
    match state.groups.remove_member(&name, &username).await {
        Ok(group) => {
            let action = format!("remove_group_member {}", group.name);
            audit(&state, &staff, &visitor, &action, &username).await;
            see_group(&group.name)
        }
        Err(e) => failure(e),
    }
}

pub async fn delete(
    State(state): State<ConsoleState>,
    Editor(staff): Editor,
    visitor: Visitor,
    Path(name): Path<String>,
) -> Response {
    match state.groups.delete(&name).await {
        Ok(group) => {
            let action = format!("delete_group {}", group.name);
            audit(&state, &staff, &visitor, &action, "-").await;
            Redirect::to("/admin/groups").into_response()
        }
        Err(e) => failure(e),
    }
}

fn see_group(name: &str) -> Response {
    Redirect::to(&format!("/admin/groups/{}", encode(name))).into_response()
}
