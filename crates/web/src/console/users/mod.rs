//! Users: search, create, edit, and the user page with its actions
//! (unlock, enable/disable, one-time bypass, delete), and what is shown
//! once (a new TOTP token, an activation, a portal sign-in link).

mod form;
mod page;
mod shown_once;

use std::collections::BTreeMap;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use countersign_domain::{Clock, SystemClock, UserQuery};
use minijinja::{context, Value};
use serde::Deserialize;

use super::guard::{Staff, Visitor};
use super::page::{base, failure, render};
use super::ConsoleState;

pub use form::{create, edit, edit_form, new_form};
pub use page::{bypass, delete, disable, enable, forget_browser, show, unlock};
pub use shown_once::{activation, add_totp, enrol_link};

const PAGE: u32 = 100;

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
    after: Option<String>,
    partial: Option<String>,
}

pub async fn list(
    State(state): State<ConsoleState>,
    staff: Staff,
    visitor: Visitor,
    Query(query): Query<ListQuery>,
) -> Response {
    let q = query.q.trim().to_string();
    let found = state
        .accounts
        .list_users(UserQuery {
            query: Some(q.clone()).filter(|q| !q.is_empty()),
            limit: PAGE,
            after: query.after.clone(),
            locked_at: None,
        })
        .await;
    let users = match found {
        Ok(users) => users,
        Err(e) => return failure(e),
    };
    let now = SystemClock.now();
    let next = (users.len() as u32 == PAGE)
        .then(|| users.last().map(|u| u.username.clone()))
        .flatten();
    let rows: Vec<Value> = users
        .iter()
        .map(|u| {
            context! { username => u.username.clone(), display_name => u.display_name.clone(),
            email => u.email.clone(), enabled => u.enabled, locked => u.is_locked(now) }
        })
        .collect();
    let may_edit = staff.may_edit_users();
    let ctx = context! { title => "Users", users => rows, q => q, next => next, may_edit => may_edit,
    ..base(&state, &visitor, "users") };
    let template = match query.partial {
        Some(_) => "users_table.html",
        None => "users.html",
    };
    render(StatusCode::OK, template, ctx)
}

type FieldErrors = BTreeMap<&'static str, String>;

fn blank(text: &str) -> Option<String> {
    Some(text.trim().to_string()).filter(|t| !t.is_empty())
}

pub(super) fn see_user(username: &str) -> Response {
    Redirect::to(&format!("/admin/users/{}", encode(username))).into_response()
}

pub fn encode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}
