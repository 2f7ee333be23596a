//! The second factor of a portal sign-in: the page that waits for the
//! phone or takes the code, switching to another method, and what the
//! engine's answer leads to (signed in under a new token, or told why not).

use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use countersign_domain::model::session::Level;
use countersign_domain::portal::{PortalLive, Underway};
use countersign_domain::signin::{Method, Step};
use countersign_domain::Reason;
use minijinja::context;
use serde::Deserialize;
use serde_json::json;

use super::{attempt, door_rules, login_page, refusal, CodeForm, WaitQuery};
use crate::portal::guard::Guest;
use crate::portal::pages::{failure, render};
use crate::portal::PortalState;
use crate::AppState;

/// How long one page load waits for the phone before the page reloads itself.
const WAIT_PER_LOAD: Duration = Duration::from_secs(20);

#[derive(Deserialize, Default)]
pub struct MethodForm {
    #[serde(default)]
    method: String,
}

/// The session in the second-factor stage with what is under way.
fn underway(guest: &Guest) -> Result<(PortalLive, Underway), Redirect> {
    let live = guest.at(&[Level::SecondFactor])?;
    match live.data.underway.clone() {
        Some(underway) => Ok((live, underway)),
        None => Err(Redirect::to("/portal/login")),
    }
}

pub async fn verify_page(
    State(state): State<AppState>,
    guest: Guest,
    Query(q): Query<WaitQuery>,
) -> Response {
    let (live, underway) = match underway(&guest) {
        Ok(found) => found,
        Err(back) => return back.into_response(),
    };
    let waiting = underway.method.is_waited();
    if let (true, Some(_), Some(txn)) = (waiting, q.wait, &underway.transaction_id) {
        match state
            .signin
            .wait(txn, WAIT_PER_LOAD, &door_rules(&state))
            .await
        {
            Ok(Some(Step::Pending { .. })) => {}
            Ok(Some(step)) => return settle(&state, &guest, live, step).await,
            Ok(None) => return Redirect::to("/portal/login").into_response(),
            Err(e) => return failure(&state, guest.lang, e),
        }
    }
    verify_answer(&state, &guest, &live, &underway, None).await
}

async fn verify_answer(
    state: &AppState,
    guest: &Guest,
    live: &PortalLive,
    underway: &Underway,
    error: Option<String>,
) -> Response {
    let others = match other_methods(state, live, underway.method).await {
        Ok(others) => others,
        Err(e) => return failure(state, guest.lang, e),
    };
    let pages = &state.portal_pages;
    let method_names: Vec<_> = others
        .iter()
        .map(|m| context! { id => m.as_str(), name => pages.word(guest.lang, &format!("method_{}", m.as_str())) })
        .collect();
    let ctx = context! {
        method => underway.method.as_str(), number => underway.number, prompt => underway.prompt.clone(),
        error => error.clone(), others => method_names, csrf => guest.csrf(state),
        passkey_options => underway.options.clone(),
        waiting => underway.method.is_waited(),
        title => pages.word(guest.lang, "verify_title"),
    };
    let status = if error.is_some() {
        StatusCode::UNAUTHORIZED
    } else {
        StatusCode::OK
    };
    render(state, guest.lang, status, "verify.html", ctx)
}

/// The other methods the user may switch to (none when choice is off).
async fn other_methods(
    state: &AppState,
    live: &PortalLive,
    current: Method,
) -> Result<Vec<Method>, countersign_domain::DomainError> {
    if !state.settings.current().allow_method_choice {
        return Ok(Vec::new());
    }
    let (methods, _) = state.signin.methods_for(&live.subject).await?;
    Ok(methods
        .list()
        .iter()
        .copied()
        .filter(|m| *m != current)
        .collect())
}

pub async fn verify_submit(
    State(state): State<AppState>,
    guest: Guest,
    Form(form): Form<CodeForm>,
) -> Response {
    let (live, underway) = match underway(&guest) {
        Ok(found) => found,
        Err(back) => return back.into_response(),
    };
    if underway.method == Method::Webauthn {
        let step = answer_passkey(&state, &guest, &live.subject.username, &underway, &form).await;
        return match step {
            Ok(step) => settle(&state, &guest, live, step).await,
            Err(e) => failure(&state, guest.lang, e),
        };
    }
    let code: String = form.code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.is_empty() {
        let error = state.portal_pages.word(guest.lang, "enter_code");
        return verify_answer(&state, &guest, &live, &underway, Some(error)).await;
    }
    let step = answer_code(&state, &guest, &live.subject.username, &underway, code).await;
    match step {
        Ok(step) => settle(&state, &guest, live, step).await,
        Err(e) => failure(&state, guest.lang, e),
    }
}

/// A code typed for what is under way: a texted or emailed code answers its
/// challenge, anything else is an OATH code (with the PIN, if the user has one).
pub async fn answer_code(
    state: &impl AsRef<PortalState>,
    guest: &Guest,
    username: &str,
    underway: &Underway,
    code: String,
) -> Result<Step, countersign_domain::DomainError> {
    use countersign_domain::signin::AnswerError;
    let state = state.as_ref();
    match (&underway.transaction_id, underway.method) {
        (Some(txn), Method::Sms | Method::Email) => {
            let source = attempt(state, guest, username, None, None).source;
            match state.signin.answer(username, txn, &code, &source).await {
                Ok(step) => Ok(step),
                Err(AnswerError::NotFound) => Ok(Step::rejected(Reason::ChallengeExpired)),
                Err(AnswerError::Domain(e)) => Err(e),
            }
        }
        _ => {
            let otp = attempt(state, guest, username, Some(Method::Otp), Some(code));
            state.signin.start(&otp).await
        }
    }
}

/// A passkey's assertion for the challenge under way (the form the script submitted).
pub async fn answer_passkey(
    state: &impl AsRef<PortalState>,
    guest: &Guest,
    username: &str,
    underway: &Underway,
    form: &CodeForm,
) -> Result<Step, countersign_domain::DomainError> {
    use countersign_domain::signin::AnswerError;
    let state = state.as_ref();
    let (Some(txn), Ok(assertion)) = (
        &underway.transaction_id,
        serde_json::from_str::<serde_json::Value>(&form.response),
    ) else {
        return Ok(Step::rejected(Reason::PasskeyMalformed));
    };
    let source = attempt(state, guest, username, None, None).source;
    match state
        .signin
        .answer_assertion(username, txn, &assertion, &source)
        .await
    {
        Ok(step) => Ok(step),
        Err(AnswerError::NotFound) => Ok(Step::rejected(Reason::ChallengeExpired)),
        Err(AnswerError::Domain(e)) => Err(e),
    }
}

/// What a challenge or pending step leaves under way; any other step back.
pub fn underway_of(step: Step) -> Result<Underway, Step> {
    match step {
        Step::Challenge {
            transaction_id,
            method,
            prompt,
            options,
        } => Ok(Underway {
            method,
            transaction_id,
            number: None,
            prompt,
            options: options.map(|o| json!({ "options": o }).to_string()),
        }),
        Step::Pending {
            transaction_id,
            method,
            number,
            prompt,
        } => Ok(Underway {
            method,
            transaction_id: Some(transaction_id),
            number,
            prompt,
            options: None,
        }),
        other => Err(other),
    }
}

/// Switches to another of the user's methods (when choice is allowed: the engine checks).
pub async fn switch_method(
    State(state): State<AppState>,
    guest: Guest,
    Form(form): Form<MethodForm>,
) -> Response {
    let (mut live, _) = match underway(&guest) {
        Ok(found) => found,
        Err(back) => return back.into_response(),
    };
    let Some(method) = Method::parse(&form.method) else {
        return Redirect::to("/portal/verify").into_response();
    };
    let step = state
        .signin
        .start(&attempt(
            &state,
            &guest,
            &live.subject.username,
            Some(method),
            None,
        ))
        .await;
    match step {
        Ok(step) => match underway_of(step) {
            Ok(underway) => live.data.underway = Some(underway),
            Err(step) => return settle(&state, &guest, live, step).await,
        },
        Err(e) => return failure(&state, guest.lang, e),
    }
    match state.sessions.users.save_data(&live).await {
        Ok(()) => Redirect::to("/portal/verify").into_response(),
        Err(e) => failure(&state, guest.lang, e),
    }
}

/// An engine decision on the second factor: signed in, or told why not.
async fn settle(state: &AppState, guest: &Guest, live: PortalLive, step: Step) -> Response {
    match step {
        Step::Accepted { .. } => match signed_in(state, guest, &live).await {
            Ok((token, offer)) => {
                tracing::info!(user = %live.subject.username, "user signed in to the portal");
                let next = if offer { "/portal/remember" } else { "/portal" };
                guest.with_session(Some(&token), Redirect::to(next))
            }
            Err(e) => failure(state, guest.lang, e),
        },
        Step::Rejected { reason } if ends_sign_in(reason) => {
            if let Err(e) = state.sessions.users.end(&live.id_hash).await {
                return failure(state, guest.lang, e);
            }
            let message = refusal(state, guest.lang, reason);
            guest.with_session(
                None,
                login_page(
                    state,
                    guest,
                    &live.subject.username,
                    Some(message),
                    StatusCode::UNAUTHORIZED,
                ),
            )
        }
        Step::Rejected { reason } => {
            let underway = live.data.underway.clone().unwrap_or(Underway {
                method: Method::Otp,
                transaction_id: None,
                number: None,
                prompt: String::new(),
                options: None,
            });
            verify_answer(
                state,
                guest,
                &live,
                &underway,
                Some(reason.message().to_string()),
            )
            .await
        }
        Step::Challenge { .. } | Step::Pending { .. } => {
            Redirect::to("/portal/verify").into_response()
        }
    }
}

/// The session raised to signed in after a full sign-in, with the offer
/// to remember the browser when the matching rule allows it (the engine
/// says how long): the new token, and whether there is an offer.
async fn signed_in(
    state: &AppState,
    guest: &Guest,
    live: &PortalLive,
) -> Result<(String, bool), countersign_domain::DomainError> {
    let (token, mut next) = state.sessions.users.advance(live, Level::SignedIn).await?;
    let asking = attempt(state, guest, &live.subject.username, None, None);
    let offer = state.signin.remember_days(&asking).await?;
    if offer.is_some() {
        next.data.remember_offer = offer;
        state.sessions.users.save_data(&next).await?;
    }
    Ok((token, offer.is_some()))
}

/// Refusals after which this sign-in cannot go on: start again.
fn ends_sign_in(reason: Reason) -> bool {
    matches!(
        reason,
        Reason::UserLockedOut
            | Reason::UserDisabled
            | Reason::FraudReported
            | Reason::PushDenied
            | Reason::PushTimeout
            | Reason::NumberMismatch
            | Reason::ChallengeExpired
            | Reason::AttemptsExceeded
            | Reason::CodeExpired
    )
}
