//! "Sign in with a passkey" at `/sso`: a discoverable credential, no
//! username, both factors at once (user verification required). The
//! engine issues the options (`POST /sso/passkey/begin`, JSON for
//! `assets/portal/passkeys.js`), then finds the user the credential
//! belongs to and verifies it (`POST /sso/passkey`, the form the script
//! submits). Both POSTs pass the guard's `csrf` check like every form.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Form, Json};
use countersign_domain::signin::{AnswerError, Step};
use countersign_domain::Reason;
use serde::Deserialize;
use serde_json::json;

use super::door::Guest;
use super::redirect::allowed_rd;
use super::signin::{after_first_factor, failure, login_page, refusal, source};
use crate::portal::passkeys::json_error;
use crate::AppState;

/// What the script submits after `navigator.credentials.get`.
#[derive(Deserialize, Default)]
pub struct AssertionForm {
    #[serde(default)]
    ceremony_id: String,
    #[serde(default)]
    response: String,
    #[serde(default)]
    rd: String,
}

pub async fn begin(State(state): State<AppState>, guest: Guest) -> Response {
    match state.signin.passkey_sign_in_begin(&source(&guest)).await {
        Ok((ceremony_id, options)) => {
            Json(json!({"ceremony_id": ceremony_id, "options": options})).into_response()
        }
        Err(e) => json_error(e),
    }
}

pub async fn submit(
    State(state): State<AppState>,
    guest: Guest,
    Form(form): Form<AssertionForm>,
) -> Response {
    let rd = allowed_rd(&state, Some(&form.rd));
    let Ok(assertion) = serde_json::from_str::<serde_json::Value>(&form.response) else {
        let words = state.portal_pages.word(guest.lang, "passkey_failed");
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return login_page(&state, &guest, "", rd.as_deref(), Some(words), status);
    };
    let finished = state
        .signin
        .passkey_sign_in_finish(&form.ceremony_id, &assertion, &source(&guest), false)
        .await;
    let signed = match finished {
        Ok(signed) => signed,
        Err(AnswerError::NotFound) => {
            let words = refusal(&state, guest.lang, Reason::ChallengeExpired);
            let status = StatusCode::UNAUTHORIZED;
            return login_page(&state, &guest, "", rd.as_deref(), Some(words), status);
        }
        Err(AnswerError::Domain(e)) => return failure(&state, guest.lang, e),
    };
    let user = match (&signed.username, &signed.step) {
        (Some(name), Step::Accepted { .. }) => match state.accounts.user(name).await {
            Ok(user) => Some(user),
            Err(e) => return failure(&state, guest.lang, e),
        },
        _ => None,
    };
    after_first_factor(&state, &guest, user, signed.step, (rd, true)).await
}
