//! "Sign in with a passkey": a discoverable credential, no username. The
//! engine issues the options (`POST /portal/passkey/begin`, JSON for
//! `assets/portal/passkeys.js`), then finds the user the assertion's
//! credential belongs to and verifies it (`POST /portal/passkey`, the
//! form the script submits): user verification makes it both factors.
//! Both POSTs pass the guard's `csrf` check like every form.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Form, Json};
use countersign_domain::signin::{AnswerError, Step};
use countersign_domain::Reason;
use serde::Deserialize;
use serde_json::json;

use super::{after_first_factor, attempt, failure, login_page, refusal};
use crate::portal::guard::Guest;
use crate::portal::passkeys::json_error;
use crate::AppState;

/// What the script submits after `navigator.credentials.get`.
#[derive(Deserialize, Default)]
pub struct AssertionForm {
    #[serde(default)]
    pub ceremony_id: String,
    #[serde(default)]
    pub response: String,
}

impl AssertionForm {
    /// The assertion's JSON, when the script sent one.
    pub fn assertion(&self) -> Option<serde_json::Value> {
        serde_json::from_str(&self.response).ok()
    }
}

pub async fn begin(State(state): State<AppState>, guest: Guest) -> Response {
    let source = attempt(&state, &guest, "", None, None).source;
    match state.signin.passkey_sign_in_begin(&source).await {
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
    let Some(assertion) = form.assertion() else {
        let words = state.portal_pages.word(guest.lang, "passkey_failed");
        return login_page(
            &state,
            &guest,
            "",
            Some(words),
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    };
    let source = attempt(&state, &guest, "", None, None).source;
    let finished = state
        .signin
        .passkey_sign_in_finish(&form.ceremony_id, &assertion, &source, false)
        .await;
    let signed = match finished {
        Ok(signed) => signed,
        Err(AnswerError::NotFound) => {
            let words = refusal(&state, guest.lang, Reason::ChallengeExpired);
            return login_page(&state, &guest, "", Some(words), StatusCode::UNAUTHORIZED);
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
    after_first_factor(&state, &guest, (user, false), signed.step).await
}
