//! The user's passkeys: list, add (named), rename, remove, and the
//! ceremony's two halves. `POST /portal/passkeys/begin` answers the
//! creation options as JSON for `assets/portal/passkeys.js`; the script
//! then submits the credential's JSON with the form (`POST /portal/passkeys`).
//! Both are POSTs through the guard, so both carry the session's `csrf`.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Form, Json};
use countersign_domain::methods::passkeys::Passkeys;
use countersign_domain::DomainError;
use minijinja::{context, Value};
use serde::Deserialize;
use serde_json::json;

use super::guard::{Enroller, Guest};
use super::pages::{failure, render};
use super::PortalState;
use crate::console::when;

#[derive(Deserialize, Default)]
pub struct Notice {
    notice: Option<String>,
}

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

/// The passkey service, or why there is none (`[webauthn]` not usable).
pub fn service(passkeys: &Option<Passkeys>) -> Result<&Passkeys, DomainError> {
    passkeys.as_ref().ok_or_else(|| {
        DomainError::invalid(
            "webauthn",
            "passkeys are off on this server: the administrator sets webauthn.rp_id and webauthn.origins",
        )
    })
}

/// The user's passkeys as the pages show them (none while passkeys are off).
pub async fn rows(state: &PortalState, username: &str) -> Result<Vec<Value>, DomainError> {
    let Some(passkeys) = &state.passkeys else {
        return Ok(Vec::new());
    };
    let list = passkeys.list(username).await?;
    Ok(list
        .iter()
        .map(|p| {
            context! { id => p.credential_id.clone(), name => p.name.clone(), added => when(p.created_at),
            last => p.last_used_at.map(when) }
        })
        .collect())
}

pub async fn page(
    State(state): State<PortalState>,
    Enroller(live, guest): Enroller,
    Query(q): Query<Notice>,
) -> Response {
    let notice = q.notice.filter(|n| NOTICES.contains(&n.as_str()));
    list_page(&state, &guest, &live.subject.username, notice, None).await
}

/// Notices this page may show (`?notice=KEY`).
const NOTICES: &[&str] = &["passkey_added", "removed", "renamed", "cannot_remove_last"];

async fn list_page(
    state: &PortalState,
    guest: &Guest,
    username: &str,
    notice: Option<String>,
    error: Option<String>,
) -> Response {
    let passkeys = match rows(state, username).await {
        Ok(rows) => rows,
        Err(e) => return failure(state, guest.lang, e),
    };
    let pages = &state.pages;
    let signed_in = guest
        .live
        .as_ref()
        .is_some_and(|l| l.level == countersign_domain::model::session::Level::SignedIn);
    let status = match error {
        Some(_) => StatusCode::UNPROCESSABLE_ENTITY,
        None => StatusCode::OK,
    };
    let ctx = context! {
        title => pages.word(guest.lang, "passkeys_title"), csrf => guest.csrf(state),
        notice => notice.map(|n| pages.word(guest.lang, &format!("notice_{n}"))),
        passkeys => passkeys, error => error, signed_in => signed_in, enrolling => !signed_in,
        passkeys_on => state.passkeys.is_some(),
    };
    render(state, guest.lang, status, "passkeys.html", ctx)
}

/// The creation options for the script (JSON), for the signed-in user.
pub async fn begin(State(state): State<PortalState>, Enroller(live, _): Enroller) -> Response {
    let begun = match service(&state.passkeys) {
        Ok(passkeys) => {
            passkeys
                .begin_registration(&live.subject.username, None)
                .await
        }
        Err(e) => Err(e),
    };
    match begun {
        Ok(begun) => Json(json!({"ceremony_id": begun.ceremony_id, "options": begun.options}))
            .into_response(),
        Err(e) => json_error(e),
    }
}

/// A failure the script shows in words.
pub fn json_error(e: DomainError) -> Response {
    let status = match &e {
        DomainError::NotFound { .. } => StatusCode::NOT_FOUND,
        DomainError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        DomainError::Conflict(_) => StatusCode::CONFLICT,
        _ => StatusCode::SERVICE_UNAVAILABLE,
    };
    (status, Json(json!({"error": e.to_string()}))).into_response()
}

/// The credential the browser made: verified and stored by the domain.
pub async fn add(
    State(state): State<PortalState>,
    Enroller(live, guest): Enroller,
    Form(form): Form<AddForm>,
) -> Response {
    let username = &live.subject.username;
    let name = match form.name.trim() {
        "" => state.pages.word(guest.lang, "passkey_name_default"),
        name => name.to_string(),
    };
    let added = match serde_json::from_str::<serde_json::Value>(&form.response) {
        Ok(response) => match service(&state.passkeys) {
            Ok(passkeys) => {
                passkeys
                    .finish_registration(username, &form.ceremony_id, &response, Some(name))
                    .await
            }
            Err(e) => Err(e),
        },
        Err(e) => Err(DomainError::invalid("response", e.to_string())),
    };
    match added {
        Ok(_) => {
            let target = "/portal/passkeys?notice=passkey_added";
            super::enrol::enrolled(&state, &guest, &live, target).await
        }
        Err(DomainError::Invalid { message, .. }) => {
            let words = format!(
                "{} {message}",
                state.pages.word(guest.lang, "passkey_refused")
            );
            list_page(&state, &guest, username, None, Some(words)).await
        }
        Err(e) => failure(&state, guest.lang, e),
    }
}

pub async fn rename(
    State(state): State<PortalState>,
    Enroller(live, guest): Enroller,
    Path(id): Path<String>,
    Form(form): Form<super::home::NameForm>,
) -> Response {
    let renamed = match service(&state.passkeys) {
        Ok(passkeys) => {
            passkeys
                .rename(&live.subject.username, &id, form.name.trim())
                .await
        }
        Err(e) => Err(e),
    };
    match renamed {
        Ok(_) => Redirect::to("/portal/passkeys?notice=renamed").into_response(),
        Err(e) => failure(&state, guest.lang, e),
    }
}

pub async fn remove(
    State(state): State<PortalState>,
    Enroller(live, guest): Enroller,
    Path(id): Path<String>,
) -> Response {
    // The domain keeps the last way to sign in (unless the settings allow removing it).
    let removed = match service(&state.passkeys) {
        Ok(passkeys) => passkeys.remove(&live.subject.username, &id).await,
        Err(e) => Err(e),
    };
    match removed {
        Ok(()) => Redirect::to("/portal/passkeys?notice=removed").into_response(),
        Err(DomainError::Conflict(_)) => {
            Redirect::to("/portal/passkeys?notice=cannot_remove_last").into_response()
        }
        Err(e) => failure(&state, guest.lang, e),
    }
}
