//! Passkeys at the console: the administrator's own (on their principal
//! `admin/NAME`: register, list, remove; "Sign in with a passkey" is in
//! `login_passkey.rs`), and a user's, which helpdesk registers at the
//! user's desk (the user touches the key) and may remove. The ceremony's
//! first half answers JSON for `assets/portal/passkeys.js` (served here as
//! `/admin/assets/passkeys.js`); the script then submits the form. Both
//! are POSTs through the guard's `csrf` check; every change is audited.

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Form, Json};
use countersign_domain::methods::passkeys::Passkeys;
use countersign_domain::model::user::PRINCIPAL_PREFIX;
use countersign_domain::DomainError;
use minijinja::{context, Value};
use serde::Deserialize;
use serde_json::json;

use super::guard::{audit, Editor, Staff, Visitor};
use super::page::{base, failure, render, when};
use super::ConsoleState;
use crate::portal::passkeys::{json_error, service};

/// What the script submits after `navigator.credentials.create`.
#[derive(Deserialize, Default)]
pub struct AddForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    ceremony_id: String,
    #[serde(default)]
    response: String,
}

#[derive(Deserialize, Default)]
pub struct Added {
    notice: Option<String>,
}

fn principal(staff: &Staff) -> String {
    format!("{PRINCIPAL_PREFIX}{}", staff.0.subject.name)
}

/// A user's (or principal's) passkeys as the console's tables show them
/// (none while passkeys are off).
pub async fn rows(passkeys: &Option<Passkeys>, username: &str) -> Result<Vec<Value>, DomainError> {
    let Some(passkeys) = passkeys else {
        return Ok(Vec::new());
    };
    Ok(passkeys
        .list(username)
        .await?
        .iter()
        .map(|p| {
            context! { id => p.credential_id.clone(), name => p.name.clone(), added => when(p.created_at),
            last => p.last_used_at.map(when) }
        })
        .collect())
}

pub async fn own(
    State(state): State<ConsoleState>,
    staff: Staff,
    visitor: Visitor,
    Query(q): Query<Added>,
) -> Response {
    let passkeys = match rows(&state.passkeys, &principal(&staff)).await {
        Ok(rows) => rows,
        Err(e) => return failure(e),
    };
    let notice = match q.notice.as_deref() {
        Some("added") => Some("Your passkey is registered."),
        Some("removed") => Some("The passkey is removed."),
        _ => None,
    };
    let must_use = state.settings.current().admins_must_use_passkey;
    let ctx = context! { title => "Your passkeys", passkeys => passkeys, notice => notice,
    must_use => must_use, passkeys_on => state.passkeys.is_some(), ..base(&state, &visitor, "passkeys") };
    render(axum::http::StatusCode::OK, "passkeys.html", ctx)
}

/// The creation options for `username`, as JSON for the script.
async fn begin_for(passkeys: &Option<Passkeys>, username: &str, display: Option<&str>) -> Response {
    let begun = match service(passkeys) {
        Ok(passkeys) => passkeys.begin_registration(username, display).await,
        Err(e) => Err(e),
    };
    match begun {
        Ok(begun) => Json(json!({"ceremony_id": begun.ceremony_id, "options": begun.options}))
            .into_response(),
        Err(e) => json_error(e),
    }
}

/// Verifies and stores the credential the browser made for `username`.
async fn finish_for(
    passkeys: &Option<Passkeys>,
    username: &str,
    form: &AddForm,
    default_name: &str,
) -> Result<String, DomainError> {
    let response = serde_json::from_str::<serde_json::Value>(&form.response)
        .map_err(|e| DomainError::invalid("response", e.to_string()))?;
    let name = match form.name.trim() {
        "" => default_name.to_string(),
        name => name.to_string(),
    };
    let view = service(passkeys)?
        .finish_registration(username, &form.ceremony_id, &response, Some(name))
        .await?;
    Ok(view.name)
}

pub async fn own_begin(State(state): State<ConsoleState>, staff: Staff) -> Response {
    let display = format!("{} (Countersign console)", staff.0.subject.name);
    begin_for(&state.passkeys, &principal(&staff), Some(&display)).await
}

pub async fn own_add(
    State(state): State<ConsoleState>,
    staff: Staff,
    visitor: Visitor,
    Form(form): Form<AddForm>,
) -> Response {
    match finish_for(&state.passkeys, &principal(&staff), &form, "Passkey").await {
        Ok(name) => {
            let action = format!("passkey_registered {name}");
            audit(&state, &staff, &visitor, &action, &principal(&staff)).await;
            Redirect::to("/admin/passkeys?notice=added").into_response()
        }
        Err(e) => failure(e),
    }
}

pub async fn own_remove(
    State(state): State<ConsoleState>,
    staff: Staff,
    visitor: Visitor,
    Path(id): Path<String>,
) -> Response {
    let removed = match service(&state.passkeys) {
        Ok(passkeys) => passkeys.remove(&principal(&staff), &id).await,
        Err(e) => Err(e),
    };
    match removed {
        Ok(()) => {
            audit(
                &state,
                &staff,
                &visitor,
                "passkey_removed",
                &principal(&staff),
            )
            .await;
            Redirect::to("/admin/passkeys?notice=removed").into_response()
        }
        Err(e) => failure(e),
    }
}

/// A user's name as other doors know it: never an administrator's principal.
async fn user_name(state: &ConsoleState, username: &str) -> Result<String, DomainError> {
    Ok(state.accounts.user(username).await?.username)
}

pub async fn user_begin(
    State(state): State<ConsoleState>,
    _editor: Editor,
    Path(username): Path<String>,
) -> Response {
    match user_name(&state, &username).await {
        Ok(name) => begin_for(&state.passkeys, &name, None).await,
        Err(e) => json_error(e),
    }
}

pub async fn user_add(
    State(state): State<ConsoleState>,
    Editor(staff): Editor,
    visitor: Visitor,
    Path(username): Path<String>,
    Form(form): Form<AddForm>,
) -> Response {
    let added = async {
        let name = user_name(&state, &username).await?;
        let key = finish_for(&state.passkeys, &name, &form, "Security key").await?;
        Ok::<_, DomainError>((name, key))
    }
    .await;
    match added {
        Ok((name, key)) => {
            let action = format!("passkey_registered {key}");
            audit(&state, &staff, &visitor, &action, &name).await;
            super::users::see_user(&name)
        }
        Err(e) => failure(e),
    }
}

pub async fn user_remove(
    State(state): State<ConsoleState>,
    Editor(staff): Editor,
    visitor: Visitor,
    Path((username, id)): Path<(String, String)>,
) -> Response {
    let removed = async {
        let name = user_name(&state, &username).await?;
        service(&state.passkeys)?.remove(&name, &id).await?;
        Ok::<_, DomainError>(name)
    }
    .await;
    match removed {
        Ok(name) => {
            audit(&state, &staff, &visitor, "passkey_removed", &name).await;
            super::users::see_user(&name)
        }
        Err(e) => failure(e),
    }
}
