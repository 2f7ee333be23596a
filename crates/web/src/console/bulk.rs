//! Bulk enable/disable of a search result: a background task pages through
//! the matching users while the page shows its progress. Progress is kept
//! in the store (`meta`), so any node can show it.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use countersign_domain::model::ids::new_id;
use countersign_domain::{Store, UserQuery};
use minijinja::context;
use minijinja::value::Serde;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

use super::guard::{audit, Editor, Staff, Visitor};
use super::page::{base, failure, render};
use crate::AppState;

const PAGE: u32 = 100;

#[derive(Deserialize)]
pub struct BulkForm {
    #[serde(default)]
    q: String,
    /// `enable` or `disable`.
    #[serde(default)]
    action: String,
}

/// Where a job stands, as stored.
#[derive(Serialize, Deserialize, Default, Clone)]
pub struct Progress {
    pub action: String,
    pub query: String,
    pub done: u64,
    pub finished: bool,
    pub error: Option<String>,
}

fn meta_key(id: &str) -> String {
    format!("console.job.{id}")
}

async fn save(store: &Arc<dyn Store>, id: &str, progress: &Progress) {
    let bytes = serde_json::to_vec(progress).unwrap_or_default();
    if let Err(e) = store.put_meta(&meta_key(id), &bytes).await {
        tracing::warn!(job = id, error = %e, "cannot record the progress of a bulk change");
    }
}

pub async fn start(
    State(state): State<AppState>,
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
    let id = new_id("job");
    let mut progress = Progress {
        action: form.action.clone(),
        query: query.clone(),
        ..Progress::default()
    };
    save(&state.store, &id, &progress).await;
    let what = format!("bulk_{} q={query}", form.action);
    audit(&state, &staff, &visitor, &what, "-").await;
    let (store, accounts, job) = (state.store.clone(), state.accounts.clone(), id.clone());
    tokio::spawn(async move {
        let mut after: Option<String> = None;
        loop {
            let page = UserQuery {
                query: Some(query.clone()).filter(|q| !q.is_empty()),
                limit: PAGE,
                after: after.clone(),
                locked_at: None,
            };
            let users = match store.list_users(&page).await {
                Ok(users) => users,
                Err(e) => {
                    progress.error = Some(e.to_string());
                    break;
                }
            };
            for user in &users {
                if user.enabled == enabled {
                    continue;
                }
                if let Err(e) = accounts.set_enabled(&user.username, enabled).await {
                    progress.error = Some(e.to_string());
                }
                progress.done += 1;
            }
            save(&store, &job, &progress).await;
            match users.last() {
                Some(last) if users.len() as u32 == PAGE => after = Some(last.username.clone()),
                _ => break,
            }
        }
        progress.finished = true;
        save(&store, &job, &progress).await;
        tracing::info!(job = %job, done = progress.done, "bulk change finished");
    });
    Redirect::to(&format!("/admin/jobs/{id}")).into_response()
}

pub async fn show(
    State(state): State<AppState>,
    _staff: Staff,
    visitor: Visitor,
    Path(id): Path<String>,
) -> Response {
    let stored = match state.store.get_meta(&meta_key(&id)).await {
        Ok(stored) => stored,
        Err(e) => return failure(e.into()),
    };
    let Some(progress) = stored.and_then(|b| serde_json::from_slice::<Progress>(&b).ok()) else {
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
