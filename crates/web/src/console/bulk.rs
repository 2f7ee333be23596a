//! Bulk enable/disable of a search result: a background task pages through
//! the matching users while the page shows its progress (kept by the
//! domain's `BulkChanges` in the store, so any node can show it).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use minijinja::context;
use minijinja::value::Serde;
use serde::Deserialize;

use super::guard::{audit, Editor, Staff, Visitor};
use super::page::{base, failure, render};
use super::ConsoleState;

#[derive(Deserialize)]
pub struct BulkForm {
    #[serde(default)]
    q: String,
    /// `enable` or `disable`.
    #[serde(default)]
    action: String,
}

pub async fn start(
    State(state): State<ConsoleState>,
    Editor(staff): Editor,
    visitor: Visitor,
    Form(form): Form<BulkForm>,
) -> Response {
    let enabled = match form.action.as_str() {
        "enable" => true,
        "disable" => false,
        _ => {
            return super::page::error_page(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Not accepted",
                "action: choose enable or disable",
                Some("/admin/users"),
            )
        }
    };
    let query = form.q.trim().to_string();
    let job = state.bulk.open(&form.action, &query, enabled).await;
    let id = job.id.clone();
    let what = format!("bulk_{} q={query}", form.action);
    audit(&state, &staff, &visitor, &what, "-").await;
    let bulk = state.bulk.clone();
    tokio::spawn(async move { bulk.run(job).await });
    Redirect::to(&format!("/admin/jobs/{id}")).into_response()
}

pub async fn show(
    State(state): State<ConsoleState>,
    _staff: Staff,
    visitor: Visitor,
    Path(id): Path<String>,
) -> Response {
    let progress = match state.bulk.progress(&id).await {
        Ok(progress) => progress,
        Err(e) => return failure(e),
    };
    let Some(progress) = progress else {
        return super::page::error_page(
            StatusCode::NOT_FOUND,
            "Not found",
            "No such bulk change: it may have been started on a server that was reset.",
            Some("/admin/users"),
        );
    };
    let ctx = context! { title => "Bulk change", job => Serde(&progress), ..base(&state, &visitor, "users") };
    render(StatusCode::OK, "job.html", ctx)
}
