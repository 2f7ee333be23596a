//! The welcome email of one user: a preview of what they would get now
//! (nothing sent, no activation made), and "send it" by the usual rule.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;

use super::guard::{audit, Editor, Staff, Visitor};
use super::page::{base, failure, render};
use super::users::encode;
use super::ConsoleState;

pub async fn preview(
    State(state): State<ConsoleState>,
    staff: Staff,
    visitor: Visitor,
    Path(username): Path<String>,
) -> Response {
    if let Err(e) = state.accounts.user(&username).await {
        return failure(e);
    }
    let (content, verdict) = match state.welcome.preview(&username).await {
        Ok(found) => found,
        Err(e) => return failure(e),
    };
    let (to, why_not) = match verdict {
        Ok(address) => (Some(address), None),
        Err(reason) => (None, Some(reason)),
    };
    let ctx = context! { title => "Welcome email", username => username.clone(), user_path => encode(&username),
    subject => content.subject, text => content.text, to => to, why_not => why_not,
    attachments => content.attachments, may_edit => staff.may_edit_users(),
    ..base(&state, &visitor, "users") };
    render(StatusCode::OK, "welcome.html", ctx)
}

pub async fn send(
    State(state): State<ConsoleState>,
    Editor(staff): Editor,
    visitor: Visitor,
    Path(username): Path<String>,
) -> Response {
    if let Err(e) = state.accounts.user(&username).await {
        return failure(e);
    }
    match state.welcome.consider(&username).await {
        Ok(Some(_)) => {
            audit(&state, &staff, &visitor, "send_welcome", &username).await;
            Redirect::to("/admin/messages?status=queued").into_response()
        }
        Ok(None) => super::page::error_page(
            StatusCode::CONFLICT,
            "Not sent",
            "The welcome email cannot go to this user now: the preview page says why.",
            Some(&format!("/admin/users/{}/welcome", encode(&username))),
        ),
        Err(e) => failure(e),
    }
}
