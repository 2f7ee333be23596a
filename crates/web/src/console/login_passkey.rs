//! Administrators and passkeys at sign-in: "Sign in with a passkey" on
//! `/admin/login` (a discoverable credential on the administrator's
//! principal, no name, no password: user verification makes it both
//! factors; the engine finds only principals for the console), and the
//! passkey as the second factor after the password (`/admin/login/code`).
//! The options are JSON for the script; its answers are forms with `csrf`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Form, Json};
use countersign_domain::model::session::Level;
use countersign_domain::model::user::PRINCIPAL_PREFIX;
use countersign_domain::signin::{AnswerError, Method, Step};
use countersign_domain::{DomainError, Reason};
use serde_json::json;

use super::guard::Visitor;
use super::login::{at_level, attempt_for, code_page, login_page, signed_in};
use super::page::failure;
use crate::portal::passkeys::json_error;
use crate::portal::AssertionForm;
use crate::AppState;

pub async fn begin(State(state): State<AppState>, visitor: Visitor) -> Response {
    let source = attempt_for("", &visitor, None).source;
    match state.signin.passkey_sign_in_begin(&source).await {
        Ok((ceremony_id, options)) => {
            Json(json!({"ceremony_id": ceremony_id, "options": options})).into_response()
        }
        Err(e) => json_error(e),
    }
}

pub async fn submit(
    State(state): State<AppState>,
    visitor: Visitor,
    Form(form): Form<AssertionForm>,
) -> Response {
    match sign_in(&state, &visitor, &form).await {
        Ok(response) => response,
        Err(e) => failure(e),
    }
}

async fn sign_in(
    state: &AppState,
    visitor: &Visitor,
    form: &AssertionForm,
) -> Result<Response, DomainError> {
    let refused = |reason: Reason| {
        let words = state.signin.refusal(reason).words();
        login_page(state, visitor, "", Some(&words), StatusCode::UNAUTHORIZED)
    };
    let Some(assertion) = form.assertion() else {
        return Ok(refused(Reason::PasskeyMalformed));
    };
    let source = attempt_for("", visitor, None).source;
    let signed = match state
        .signin
        .passkey_sign_in_finish(&form.ceremony_id, &assertion, &source, true)
        .await
    {
        Ok(signed) => signed,
        Err(AnswerError::NotFound) => return Ok(refused(Reason::ChallengeExpired)),
        Err(AnswerError::Domain(e)) => return Err(e),
    };
    let name = signed
        .username
        .as_deref()
        .and_then(|u| u.strip_prefix(PRINCIPAL_PREFIX));
    let admin = match (name, &signed.step) {
        (Some(name), Step::Accepted { .. }) => state.store.admin_by_name(name).await?,
        (_, Step::Rejected { reason }) => return Ok(refused(*reason)),
        _ => None,
    };
    let Some(admin) = admin else {
        return Ok(refused(Reason::PasskeyUnknown));
    };
    let (token, _) = state
        .sessions
        .admins
        .open(&admin, Level::SignedIn, (), visitor.address.clone())
        .await?;
    tracing::info!(admin = %admin.name, "administrator signed in to the console with a passkey");
    Ok(visitor.with_session(Some(&token), Redirect::to("/admin")))
}

/// The passkey as the second factor: a challenge for the principal's passkeys.
pub async fn code_begin(State(state): State<AppState>, visitor: Visitor) -> Response {
    let live = match at_level(&visitor, Level::SecondFactor) {
        Ok(live) => live,
        Err(_) => return json_error(DomainError::invalid("session", "sign in again")),
    };
    let mut attempt = attempt_for(&live.subject.name, &visitor, None);
    attempt.method = Some(Method::Webauthn);
    match state.signin.start(&attempt).await {
        Ok(Step::Challenge {
            transaction_id: Some(id),
            options: Some(options),
            ..
        }) => Json(json!({"ceremony_id": id, "options": options})).into_response(),
        Ok(Step::Rejected { reason }) => {
            json_error(DomainError::invalid("passkey", reason.message()))
        }
        Ok(_) => json_error(DomainError::invalid("passkey", "no passkey challenge")),
        Err(e) => json_error(e),
    }
}

/// The assertion for the second factor's challenge.
pub async fn code_submit(
    State(state): State<AppState>,
    visitor: Visitor,
    Form(form): Form<AssertionForm>,
) -> Response {
    let live = match at_level(&visitor, Level::SecondFactor) {
        Ok(live) => live,
        Err(back) => return back.into_response(),
    };
    let Some(assertion) = form.assertion() else {
        return code_page(
            &state,
            &visitor,
            &live,
            None,
            Some(Reason::PasskeyMalformed.message()),
        );
    };
    let principal = format!("{PRINCIPAL_PREFIX}{}", live.subject.name);
    let source = attempt_for("", &visitor, None).source;
    let step = state
        .signin
        .answer_assertion(&principal, &form.ceremony_id, &assertion, &source)
        .await;
    match step {
        Ok(Step::Accepted { .. }) => signed_in(&state, &visitor, live).await,
        Ok(Step::Rejected { reason }) => {
            code_page(&state, &visitor, &live, None, Some(reason.message()))
        }
        Ok(_) | Err(AnswerError::NotFound) => code_page(
            &state,
            &visitor,
            &live,
            None,
            Some(Reason::ChallengeExpired.message()),
        ),
        Err(AnswerError::Domain(e)) => failure(e),
    }
}
