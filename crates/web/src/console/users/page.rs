//! The user page (profile, tokens, devices, recent sign-ins) and the
//! changes made from it, each audited.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use countersign_domain::{Clock, DomainError, SystemClock, User};
use minijinja::value::Serde;
use minijinja::{context, Value};
use serde::{Deserialize, Serialize};

use super::{see_user, FieldErrors};
use crate::console::audit::record_rows;
use crate::console::guard::{audit, Editor, Staff, Visitor};
use crate::console::page::{base, failure, render, when};
use crate::console::ConsoleState;

#[derive(Deserialize, Serialize, Default)]
pub struct BypassForm {
    #[serde(default)]
    seconds: String,
    #[serde(default)]
    reason: String,
}

pub async fn show(
    State(state): State<ConsoleState>,
    staff: Staff,
    visitor: Visitor,
    Path(username): Path<String>,
) -> Response {
    user_page(
        &state,
        &staff,
        &visitor,
        &username,
        None,
        FieldErrors::new(),
    )
    .await
}

async fn user_page(
    state: &ConsoleState,
    staff: &Staff,
    visitor: &Visitor,
    username: &str,
    bypass_form: Option<&BypassForm>,
    bypass_errors: FieldErrors,
) -> Response {
    match user_context(state, username).await {
        Ok(ctx) => {
            let status = match bypass_errors.is_empty() {
                true => StatusCode::OK,
                false => StatusCode::UNPROCESSABLE_ENTITY,
            };
            let page = context! { bypass_form => Serde(bypass_form),
            bypass_errors => Serde(&bypass_errors),
            may_edit => staff.may_edit_users(), ..ctx };
            let ctx = minijinja::value::merge_maps([page, base(state, visitor, "users")]);
            render(status, "user.html", ctx)
        }
        Err(e) => failure(e),
    }
}

async fn user_context(state: &ConsoleState, username: &str) -> Result<Value, DomainError> {
    let u: User = state.accounts.user(username).await?;
    let now = SystemClock.now();
    let tokens: Vec<Value> = state
        .accounts
        .tokens(username)
        .await?
        .iter()
        .map(|t| {
            context! { type => t.kind.to_string(), digits => t.digits, created_at => when(t.created_at),
            last_used_at => t.last_used_at.map(when) }
        })
        .collect();
    let devices: Vec<Value> = state
        .push
        .devices(username)
        .await?
        .iter()
        .map(|d| {
            context! { name => d.name.clone(), platform => d.platform.clone(), pin => d.pin,
            created_at => when(d.created_at), last_seen_at => d.last_seen_at.map(when) }
        })
        .collect();
    let records = state.audit.recent(&u.username, 10).await?;
    let passkeys = crate::console::passkeys::rows(&state.passkeys, &u.username).await?;
    let browsers: Vec<Value> = state
        .sessions
        .remembered
        .list(&u.id)
        .await?
        .iter()
        .map(|d| {
            context! { id => d.id.clone(), label => d.label.clone(), added => when(d.created_at),
            last => d.last_used_at.map(when), until => when(d.expires_at) }
        })
        .collect();
    let groups = state.groups.of_user(&u.id).await?;
    Ok(context! {
        browsers => browsers, groups => groups,
        passkeys => passkeys, passkeys_on => state.passkeys.is_some(),
        title => u.username.clone(),
        locked_until => u.locked_until.filter(|t| *t > now).map(when),
        bypass_until => u.bypass_until.filter(|t| *t > now).map(when),
        pin_set => u.pin_hash.is_some(),
        tokens => tokens, devices => devices, records => record_rows(&records),
        user => context! { username => u.username.clone(), display_name => u.display_name.clone(),
            email => u.email.clone(), phone => u.phone.clone(), voice_phone => u.voice_phone.clone(), enabled => u.enabled,
            failed_attempts => u.failed_attempts, bypass_reason => u.bypass_reason.clone(),
            default_method => u.default_method.map(|m| m.as_str()),
            allowed_methods => u.allowed_methods.as_deref().map(countersign_domain::model::method::join_list) },
    })
}

/// Runs a change to the user, audits it and shows the user page again.
async fn act(
    state: &ConsoleState,
    staff: &Staff,
    visitor: &Visitor,
    action: &str,
    change: impl std::future::Future<Output = Result<User, DomainError>>,
) -> Response {
    match change.await {
        Ok(user) => {
            audit(state, staff, visitor, action, &user.username).await;
            see_user(&user.username)
        }
        Err(e) => failure(e),
    }
}

pub async fn unlock(
    State(state): State<ConsoleState>,
    Editor(staff): Editor,
    visitor: Visitor,
    Path(username): Path<String>,
) -> Response {
    let change = state.accounts.unlock(&username);
    act(&state, &staff, &visitor, "unlock", change).await
}

pub async fn enable(
    State(state): State<ConsoleState>,
    Editor(staff): Editor,
    visitor: Visitor,
    Path(username): Path<String>,
) -> Response {
    let change = state.accounts.set_enabled(&username, true);
    act(&state, &staff, &visitor, "enable", change).await
}

pub async fn disable(
    State(state): State<ConsoleState>,
    Editor(staff): Editor,
    visitor: Visitor,
    Path(username): Path<String>,
) -> Response {
    let change = state.accounts.set_enabled(&username, false);
    act(&state, &staff, &visitor, "disable", change).await
}

pub async fn bypass(
    State(state): State<ConsoleState>,
    Editor(staff): Editor,
    visitor: Visitor,
    Path(username): Path<String>,
    Form(form): Form<BypassForm>,
) -> Response {
    let mut errors = FieldErrors::new();
    match form.seconds.trim().parse::<i64>() {
        Ok(seconds) => match state
            .accounts
            .grant_bypass(&username, seconds, &form.reason)
            .await
        {
            Ok(user) => {
                let what = format!("bypass {seconds}s: {}", form.reason.trim());
                audit(&state, &staff, &visitor, &what, &user.username).await;
                return see_user(&user.username);
            }
            Err(DomainError::Invalid { field, message }) => {
                let field = if field == "seconds" {
                    "seconds"
                } else {
                    "reason"
                };
                errors.insert(field, message);
            }
            Err(e) => return failure(e),
        },
        Err(_) => {
            errors.insert("seconds", "a whole number of seconds, e.g. 300".into());
        }
    }
    user_page(&state, &staff, &visitor, &username, Some(&form), errors).await
}

pub async fn delete(
    State(state): State<ConsoleState>,
    Editor(staff): Editor,
    visitor: Visitor,
    Path(username): Path<String>,
) -> Response {
    match state.accounts.delete_user(&username).await {
        Ok(()) => {
            audit(&state, &staff, &visitor, "delete_user", &username).await;
            Redirect::to("/admin/users").into_response()
        }
        Err(e) => failure(e),
    }
}

/// Revokes one of the user's remembered browsers (audited).
pub async fn forget_browser(
    State(state): State<ConsoleState>,
    Editor(staff): Editor,
    visitor: Visitor,
    Path((username, id)): Path<(String, String)>,
) -> Response {
    let forgotten = async {
        let user = state.accounts.user(&username).await?;
        state.sessions.remembered.forget(&user.id, &id).await?;
        Ok::<User, DomainError>(user)
    };
    act(&state, &staff, &visitor, "forget_browser", forgotten).await
}
