//! The second factor of an `/sso` sign-in: the page that waits for the
//! phone (it reloads itself and shows the number to pick) or takes the
//! code, switching to another method ("Use my passkey" among them), and
//! what the engine's answer leads to: signed in under a new token, on to
//! `rd`, or told why not.

use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use countersign_domain::model::session::{Level, SsoData, Underway};
use countersign_domain::sessions::{Live, SsoUser};
use countersign_domain::signin::{AnswerError, Method, Step};
use countersign_domain::{DomainError, Reason};
use minijinja::context;
use serde::Deserialize;

use super::door::Guest;
use super::signin::{
    application_name, attempt, done, failure, login_page, refusal, render, source, RULES,
};
use crate::sessions::SSO;
use crate::AppState;

/// How long one page load waits for the phone before the page reloads itself.
const WAIT_PER_LOAD: Duration = Duration::from_secs(20);

type SsoLive = Live<SsoUser>;

#[derive(Deserialize, Default)]
pub struct WaitQuery {
    wait: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
    /// A passkey's assertion (`AuthenticationResponseJSON`), from the script.
    #[serde(default)]
    response: String,
}

#[derive(Deserialize, Default)]
pub struct MethodForm {
    #[serde(default)]
    method: String,
}

/// The session in the second-factor stage with what is under way.
fn underway(guest: &Guest) -> Result<(SsoLive, Underway), Redirect> {
    let live = guest.at(&[Level::SecondFactor])?;
    match live.data.underway.clone() {
        Some(underway) => Ok((live, underway)),
        None => Err(Redirect::to(SSO.login)),
    }
}

pub async fn page(
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
        match state.signin.wait(txn, WAIT_PER_LOAD, &RULES).await {
            Ok(Some(Step::Pending { .. })) => {}
            Ok(Some(step)) => return settle(&state, &guest, live, step).await,
            Ok(None) => return Redirect::to(SSO.login).into_response(),
            Err(e) => return failure(&state, guest.lang, e),
        }
    }
    verify_answer(&state, &guest, &live, &underway, None).await
}

async fn verify_answer(
    state: &AppState,
    guest: &Guest,
    live: &SsoLive,
    underway: &Underway,
    error: Option<String>,
) -> Response {
    let others = match other_methods(state, live, underway.method).await {
        Ok(others) => others,
        Err(e) => return failure(state, guest.lang, e),
    };
    let pages = &state.portal_pages;
    let key = |m: Method| match m {
        Method::Webauthn => "passkey_use".to_string(),
        m => format!("method_{}", m.as_str()),
    };
    let method_names: Vec<_> = others
        .iter()
        .map(|m| context! { id => m.as_str(), name => pages.word(guest.lang, &key(*m)) })
        .collect();
    let ctx = context! {
        method => underway.method.as_str(), number => underway.number, prompt => underway.prompt.clone(),
        error => error.clone(), others => method_names, csrf => guest.csrf(state),
        passkey_options => underway.options.clone(), waiting => underway.method.is_waited(),
        title => pages.word(guest.lang, "verify_title"),
    };
    let status = match error {
        Some(_) => StatusCode::UNAUTHORIZED,
        None => StatusCode::OK,
    };
    render(state, guest.lang, status, "sso_verify.html", ctx)
}

/// The other methods the user may switch to (none when choice is off).
async fn other_methods(
    state: &AppState,
    live: &SsoLive,
    current: Method,
) -> Result<Vec<Method>, DomainError> {
    if !state.settings.current().allow_method_choice {
        return Ok(Vec::new());
    }
    let (methods, _) = state.signin.methods_for(&live.subject.0).await?;
    Ok(methods
        .list()
        .iter()
        .copied()
        .filter(|m| *m != current)
        .collect())
}

pub async fn submit(
    State(state): State<AppState>,
    guest: Guest,
    Form(form): Form<CodeForm>,
) -> Response {
    let (live, underway) = match underway(&guest) {
        Ok(found) => found,
        Err(back) => return back.into_response(),
    };
    let username = live.subject.0.username.clone();
    let step = if underway.method == Method::Webauthn {
        answer_passkey(&state, &guest, &username, &underway, &form.response).await
    } else {
        let code: String = form.code.chars().filter(|c| !c.is_whitespace()).collect();
        if code.is_empty() {
            let error = state.portal_pages.word(guest.lang, "enter_code");
            return verify_answer(&state, &guest, &live, &underway, Some(error)).await;
        }
        answer_code(&state, &guest, &username, &underway, code).await
    };
    match step {
        Ok(step) => settle(&state, &guest, live, step).await,
        Err(e) => failure(&state, guest.lang, e),
    }
}

/// A texted or emailed code answers its challenge; anything else is an OATH code.
async fn answer_code(
    state: &AppState,
    guest: &Guest,
    username: &str,
    underway: &Underway,
    code: String,
) -> Result<Step, DomainError> {
    if let (Some(txn), Method::Sms | Method::Email) = (&underway.transaction_id, underway.method) {
        return answered(
            state
                .signin
                .answer(username, txn, &code, &source(guest))
                .await,
        );
    }
    let app = application_name(state, guest.lang, None);
    let otp = attempt(guest, username, Some(Method::Otp), Some(code), &app);
    state.signin.start(&otp).await
}

/// A passkey's assertion for the challenge under way.
async fn answer_passkey(
    state: &AppState,
    guest: &Guest,
    username: &str,
    underway: &Underway,
    response: &str,
) -> Result<Step, DomainError> {
    let (Some(txn), Ok(assertion)) = (
        &underway.transaction_id,
        serde_json::from_str::<serde_json::Value>(response),
    ) else {
        return Ok(Step::rejected(Reason::PasskeyMalformed));
    };
    let answer = state
        .signin
        .answer_assertion(username, txn, &assertion, &source(guest))
        .await;
    answered(answer)
}

fn answered(answer: Result<Step, AnswerError>) -> Result<Step, DomainError> {
    match answer {
        Ok(step) => Ok(step),
        Err(AnswerError::NotFound) => Ok(Step::rejected(Reason::ChallengeExpired)),
        Err(AnswerError::Domain(e)) => Err(e),
    }
}

/// What a challenge or pending step leaves under way: the portal's own.
pub use crate::portal::underway_of;

/// Switches to another of the user's methods (the engine checks it is allowed).
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
        return Redirect::to(SSO.second_factor).into_response();
    };
    let app = application_name(&state, guest.lang, live.data.rd.as_deref());
    let started = state
        .signin
        .start(&attempt(
            &guest,
            &live.subject.0.username,
            Some(method),
            None,
            &app,
        ))
        .await;
    match started.map(underway_of) {
        Ok(Ok(underway)) => live.data.underway = Some(underway),
        Ok(Err(step)) => return settle(&state, &guest, live, step).await,
        Err(e) => return failure(&state, guest.lang, e),
    }
    match state.sso.sessions().save_data(&live).await {
        Ok(()) => Redirect::to(SSO.second_factor).into_response(),
        Err(e) => failure(&state, guest.lang, e),
    }
}

/// An engine decision on the second factor: signed in, or told why not.
async fn settle(state: &AppState, guest: &Guest, live: SsoLive, step: Step) -> Response {
    let method = live
        .data
        .underway
        .as_ref()
        .map_or(Method::Otp, |u| u.method);
    match step {
        Step::Accepted { .. } => signed_in(state, guest, &live, vec![method], false).await,
        Step::Rejected { reason } if ends_sign_in(reason) => {
            if let Err(e) = state.sso.sign_out(&live.id_hash).await {
                return failure(state, guest.lang, e);
            }
            let words = refusal(state, guest.lang, reason);
            let rd = live.data.rd.as_deref();
            let page = login_page(state, guest, "", rd, Some(words), StatusCode::UNAUTHORIZED);
            guest.with_session(None, page)
        }
        Step::Rejected { reason } => {
            let underway = live.data.underway.clone().unwrap_or(Underway {
                method: Method::Otp,
                transaction_id: None,
                number: None,
                prompt: String::new(),
                options: None,
            });
            let words = Some(reason.message().to_string());
            verify_answer(state, guest, &live, &underway, words).await
        }
        Step::Challenge { .. } | Step::Pending { .. } => {
            Redirect::to(SSO.second_factor).into_response()
        }
    }
}

/// The session moves on to signed in under a new token; the browser on to `rd`.
pub(super) async fn signed_in(
    state: &AppState,
    guest: &Guest,
    live: &SsoLive,
    methods: Vec<Method>,
    passkey: bool,
) -> Response {
    let data = SsoData {
        underway: None,
        rd: live.data.rd.clone(),
        auth_time: state.sso.sessions().now(),
        methods,
        passkey,
    };
    let advanced = state
        .sso
        .sessions()
        .advance_with(live, Level::SignedIn, data)
        .await;
    match advanced {
        Ok((token, next)) => {
            tracing::info!(user = %next.subject.0.username, "user signed in at /sso");
            guest.with_session(
                Some(&token),
                done(state, guest.lang, next.data.rd.as_deref()),
            )
        }
        Err(e) => failure(state, guest.lang, e),
    }
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
            | Reason::CallDenied
            | Reason::CallUnanswered
            | Reason::CallBusy
            | Reason::CallFailed
    )
}
