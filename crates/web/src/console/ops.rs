//! Messages (the outbox by status, the error in words, retry) and
//! diagnostics (the `doctor` findings with their fixes, run on each view).

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use countersign_domain::model::messages::MessageStatus;
use countersign_domain::ports::diagnostics::Status;
use minijinja::{context, Value};
use serde::Deserialize;

use super::guard::{audit, Editor, Staff, Visitor};
use super::page::{base, failure, render, when};
use super::ConsoleState;

#[derive(Deserialize, Default)]
pub struct MessageQuery {
    status: Option<String>,
}

pub async fn messages(
    State(state): State<ConsoleState>,
    staff: Staff,
    visitor: Visitor,
    Query(query): Query<MessageQuery>,
) -> Response {
    let status = query.status.as_deref().and_then(MessageStatus::parse);
    let listed = match state.outbox.list(status, 200).await {
        Ok(listed) => listed,
        Err(e) => return failure(e),
    };
    let rows: Vec<Value> = listed
        .iter()
        .map(|m| {
            context! { id => m.id.clone(), kind => m.kind.as_str(), purpose => m.purpose.clone(),
            recipient => m.recipient.clone(), status => m.status.as_str(), attempts => m.attempts,
            error => m.last_error.clone(), created_at => when(m.created_at),
            next_attempt_at => when(m.next_attempt_at), sent_at => m.sent_at.map(when) }
        })
        .collect();
    let ctx = context! { title => "Messages", messages => rows,
    status => status.map(MessageStatus::as_str), may_edit => staff.may_edit_users(),
    ..base(&state, &visitor, "messages") };
    render(StatusCode::OK, "messages.html", ctx)
}

pub async fn retry(
    State(state): State<ConsoleState>,
    Editor(editor): Editor,
    visitor: Visitor,
    Path(id): Path<String>,
) -> Response {
    match state.outbox.retry(&id).await {
        Ok(()) => {
            let action = format!("retry_message {id}");
            audit(&state, &editor, &visitor, &action, "-").await;
            Redirect::to("/admin/messages").into_response()
        }
        Err(e) => failure(e),
    }
}

pub async fn diagnostics(
    State(state): State<ConsoleState>,
    _staff: Staff,
    visitor: Visitor,
) -> Response {
    let findings = state.diagnostics.run().await;
    let failing = findings.iter().filter(|f| f.status != Status::Pass).count();
    let rows: Vec<Value> = findings
        .iter()
        .map(|f| {
            context! { check => f.check.clone(), status => f.status.label(), message => f.message.clone(),
            fix => f.fix.clone() }
        })
        .collect();
    let ctx = context! { title => "Diagnostics", findings => rows, failing => failing,
    ..base(&state, &visitor, "diagnostics") };
    render(StatusCode::OK, "diagnostics.html", ctx)
}
