//! Signing in to the portal: the first factor (the portal password, or a
//! one-time link), then the user's second factor through the sign-in
//! engine. A user with no method yet gets in only to enrol one, and only
//! while "allow user enrolment" is on (the engine decides: the door's
//! rules let unenrolled users through as `not_enrolled`).

use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use countersign_domain::methods::push::PushContext;
use countersign_domain::model::audit::Source;
use countersign_domain::portal::{LinkState, PortalLive, PortalStage, SessionData, Underway};
use countersign_domain::sessions::console::Closed;
use countersign_domain::signin::{Attempt, DoorRules, Method, Step};
use countersign_domain::{Reason, User};
use minijinja::context;
use serde::Deserialize;

use super::guard::{login_path, with_session, Guest};
use super::pages::{failure, render, Lang};
use super::PortalState;
use crate::AppState;

/// How long one page load waits for the phone before the page reloads itself.
const WAIT_PER_LOAD: Duration = Duration::from_secs(20);

#[derive(Deserialize, Default)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

#[derive(Deserialize, Default)]
pub struct Ended {
    ended: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct CodeForm {
    #[serde(default)]
    pub code: String,
}

#[derive(Deserialize, Default)]
pub struct MethodForm {
    #[serde(default)]
    method: String,
}

#[derive(Deserialize, Default)]
pub struct WaitQuery {
    pub wait: Option<String>,
}

/// The portal's door rules: unenrolled users pass the second factor only
/// to enrol, and only while enrolment is allowed.
pub fn door_rules(state: &impl AsRef<PortalState>) -> DoorRules {
    DoorRules {
        require_user_match: !state.as_ref().settings.current().allow_user_enrolment,
        fallback_otp: false,
    }
}

pub fn attempt(
    state: &impl AsRef<PortalState>,
    guest: &Guest,
    username: &str,
    method: Option<Method>,
    code: Option<String>,
) -> Attempt {
    Attempt {
        username: username.to_string(),
        method,
        code,
        context: PushContext {
            application: Some("User portal".into()),
            client_address: guest.address.clone(),
            number_matching: None,
        },
        source: Source {
            client: Some("portal".into()),
            address: guest.address.clone(),
        },
        rules: door_rules(state),
        administrator: false,
    }
}

pub async fn form(State(state): State<AppState>, guest: Guest, Query(q): Query<Ended>) -> Response {
    if guest
        .live
        .as_ref()
        .is_some_and(|l| l.stage == PortalStage::SignedIn)
    {
        return Redirect::to("/portal").into_response();
    }
    let ended = q.ended.as_deref().and_then(Closed::parse).or(guest.closed);
    let error = ended.map(|c| c.message().to_string());
    login_page(&state, &guest, "", error, StatusCode::OK)
}

pub fn login_page(
    state: &AppState,
    guest: &Guest,
    username: &str,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let ctx = context! { username => username, error => error, csrf => guest.csrf(state),
    title => state.portal_pages.word(guest.lang, "sign_in") };
    render(state, guest.lang, status, "login.html", ctx)
}

pub async fn submit(
    State(state): State<AppState>,
    guest: Guest,
    Form(form): Form<LoginForm>,
) -> Response {
    let username = form.username.trim();
    if username.is_empty() || form.password.is_empty() {
        let error = state
            .portal_pages
            .word(guest.lang, "enter_name_and_password");
        return login_page(
            &state,
            &guest,
            username,
            Some(error),
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    }
    let checked = match state.portal.check_password(username, &form.password).await {
        Ok(checked) => checked,
        Err(e) => return failure(&state, guest.lang, e),
    };
    let name = checked
        .as_ref()
        .map_or(username.to_string(), |u| u.username.clone());
    let attempt = attempt(&state, &guest, &name, None, None);
    match state.signin.first_factor(&attempt, checked.is_some()).await {
        Ok(step) => after_first_factor(&state, &guest, checked, step).await,
        Err(e) => failure(&state, guest.lang, e),
    }
}

/// Where the engine's answer to the first factor leads.
async fn after_first_factor(
    state: &AppState,
    guest: &Guest,
    user: Option<User>,
    step: Step,
) -> Response {
    let (Some(user), false) = (user, matches!(step, Step::Rejected { .. })) else {
        let reason = match step {
            Step::Rejected { reason } => reason,
            _ => Reason::PasswordIncorrect,
        };
        tracing::info!(reason = %reason, "portal sign-in refused");
        return login_page(
            state,
            guest,
            "",
            Some(refusal(state, guest.lang, reason)),
            StatusCode::UNAUTHORIZED,
        );
    };
    let (stage, underway) = match underway_of(step) {
        Ok(underway) => (PortalStage::SecondFactor, Some(underway)),
        Err(Step::Accepted {
            reason: Some(Reason::NotEnrolled),
            ..
        }) => (PortalStage::Enrol, None),
        Err(Step::Accepted { .. }) => (PortalStage::SignedIn, None),
        Err(_) => return Redirect::to("/portal/login").into_response(),
    };
    let data = SessionData {
        underway,
        ..SessionData::default()
    };
    match state
        .portal
        .open_session(&user, stage, data, guest.address.clone())
        .await
    {
        Ok((token, _)) => with_session(guest, Some(&token), Redirect::to(landing(stage))),
        Err(e) => failure(state, guest.lang, e),
    }
}

fn landing(stage: PortalStage) -> &'static str {
    match stage {
        PortalStage::SecondFactor => "/portal/verify",
        PortalStage::Enrol => "/portal/enrol",
        PortalStage::SignedIn => "/portal",
    }
}

/// What a refused user is told: unknown names and wrong passwords alike.
fn refusal(state: &AppState, lang: Lang, reason: Reason) -> String {
    let key = match reason {
        Reason::PasswordIncorrect | Reason::UnknownUser => "wrong_name_or_password",
        Reason::UserLockedOut => "locked_out",
        Reason::UserDisabled | Reason::FraudReported => "account_blocked",
        Reason::NoMethod => "no_method_enrolment_off",
        _ => return reason.message().to_string(),
    };
    state.portal_pages.word(lang, key)
}

pub async fn link_page(
    State(state): State<AppState>,
    guest: Guest,
    Path(token): Path<String>,
) -> Response {
    let link = match state.portal.link_state(&token).await {
        Ok(link) => link,
        Err(e) => return failure(&state, guest.lang, e),
    };
    link_answer(&state, &guest, &token, &link)
}

fn link_answer(state: &AppState, guest: &Guest, token: &str, link: &LinkState) -> Response {
    let valid = matches!(link, LinkState::Valid { .. });
    let status = if valid {
        StatusCode::OK
    } else {
        StatusCode::GONE
    };
    let problem = (!valid).then(|| link_problem(state, guest.lang, link));
    let ctx = context! { valid => valid, problem => problem, token => token, csrf => guest.csrf(state),
    title => state.portal_pages.word(guest.lang, "link_title") };
    render(state, guest.lang, status, "link.html", ctx)
}

fn link_problem(state: &AppState, lang: Lang, link: &LinkState) -> String {
    let key = match link {
        LinkState::Used => "link_used",
        LinkState::Expired => "link_expired",
        _ => "link_unknown",
    };
    state.portal_pages.word(lang, key)
}

/// Only this POST uses the link, so a mail scanner fetching it burns nothing.
pub async fn link_submit(
    State(state): State<AppState>,
    guest: Guest,
    Path(token): Path<String>,
) -> Response {
    let user = match state.portal.take_link(&token).await {
        Ok(Ok(user)) => user,
        Ok(Err(link)) => return link_answer(&state, &guest, &token, &link),
        Err(e) => return failure(&state, guest.lang, e),
    };
    let attempt = attempt(&state, &guest, &user.username, None, None);
    match state.signin.first_factor(&attempt, true).await {
        Ok(step) => after_first_factor(&state, &guest, Some(user), step).await,
        Err(e) => failure(&state, guest.lang, e),
    }
}

/// The session in the second-factor stage with what is under way.
fn underway(guest: &Guest) -> Result<(PortalLive, Underway), Redirect> {
    match &guest.live {
        Some(live) if live.stage == PortalStage::SecondFactor => match &live.data.underway {
            Some(u) => Ok((live.clone(), u.clone())),
            None => Err(Redirect::to("/portal/login")),
        },
        Some(live) => Err(Redirect::to(landing(live.stage))),
        None => Err(Redirect::to(&login_path(guest.closed))),
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
    let waiting = underway.method == Method::Push || underway.method == Method::SmsReply;
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
        waiting => underway.method == Method::Push || underway.method == Method::SmsReply,
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
    let (methods, _) = state.signin.methods_for(&live.user).await?;
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
    let code: String = form.code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.is_empty() {
        let error = state.portal_pages.word(guest.lang, "enter_code");
        return verify_answer(&state, &guest, &live, &underway, Some(error)).await;
    }
    let step = answer_code(&state, &guest, &live.user.username, &underway, code).await;
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

/// What a challenge or pending step leaves under way; any other step back.
pub fn underway_of(step: Step) -> Result<Underway, Step> {
    match step {
        Step::Challenge {
            transaction_id,
            method,
            prompt,
        } => Ok(Underway {
            method,
            transaction_id,
            number: None,
            prompt,
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
            &live.user.username,
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
    match state.portal.save_session_data(&live).await {
        Ok(()) => Redirect::to("/portal/verify").into_response(),
        Err(e) => failure(&state, guest.lang, e),
    }
}

/// An engine decision on the second factor: signed in, or told why not.
async fn settle(state: &AppState, guest: &Guest, live: PortalLive, step: Step) -> Response {
    match step {
        Step::Accepted { .. } => match state
            .portal
            .advance_session(&live, PortalStage::SignedIn)
            .await
        {
            Ok((token, _)) => {
                tracing::info!(user = %live.user.username, "user signed in to the portal");
                with_session(guest, Some(&token), Redirect::to("/portal"))
            }
            Err(e) => failure(state, guest.lang, e),
        },
        Step::Rejected { reason } if ends_sign_in(reason) => {
            if let Err(e) = state.portal.end_session(&live.id_hash).await {
                return failure(state, guest.lang, e);
            }
            let message = refusal(state, guest.lang, reason);
            with_session(
                guest,
                None,
                login_page(
                    state,
                    guest,
                    &live.user.username,
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

pub async fn logout(State(state): State<AppState>, guest: Guest) -> Response {
    if let Some(live) = &guest.live {
        if let Err(e) = state.portal.end_session(&live.id_hash).await {
            return failure(&state, guest.lang, e);
        }
    }
    with_session(&guest, None, Redirect::to("/portal/login"))
}
