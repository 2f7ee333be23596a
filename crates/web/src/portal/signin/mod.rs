//! Signing in to the portal: the first factor (the portal password, or a
//! one-time link), then the user's second factor through the sign-in
//! engine. A user with no method yet gets in only to enrol one, and only
//! while "allow user enrolment" is on (the engine decides: the door's
//! rules let unenrolled users through as `not_enrolled`).

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use countersign_domain::methods::push::PushContext;
use countersign_domain::model::audit::Source;
use countersign_domain::model::session::Level;
use countersign_domain::portal::{LinkState, SessionData};
use countersign_domain::sessions::Closed;
use countersign_domain::signin::{Attempt, DoorRules, Method, Refusal, Step};
use countersign_domain::{Reason, User};
use minijinja::context;
use serde::Deserialize;

mod passkey;
mod verify;

pub use passkey::{begin as passkey_begin, submit as passkey_submit, AssertionForm};
pub use verify::{
    answer_code, answer_passkey, switch_method, underway_of, verify_page, verify_submit,
};

use super::guard::Guest;
use super::pages::{failure, render, Lang};
use crate::portal::PortalState;
use crate::sessions::PORTAL;
use crate::AppState;

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
    /// A passkey's assertion (`AuthenticationResponseJSON`), from the script.
    #[serde(default)]
    pub response: String,
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
            rule: None,
        },
        rules: door_rules(state),
        administrator: false,
        // The browser's own address (a browser door): rules' networks match it.
        network: None,
        remembered: None,
    }
}

/// The first factor's attempt: with the remembered-browser cookie the
/// browser presented, for the engine to weigh.
fn first_attempt(state: &AppState, guest: &Guest, username: &str) -> Attempt {
    Attempt {
        remembered: guest.remembered.clone(),
        ..attempt(state, guest, username, None, None)
    }
}

pub async fn form(State(state): State<AppState>, guest: Guest, Query(q): Query<Ended>) -> Response {
    if guest
        .live
        .as_ref()
        .is_some_and(|l| l.level == Level::SignedIn)
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
    title => state.portal_pages.word(guest.lang, "sign_in"), passkeys_on => state.signin.passkeys().is_some() };
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
    let attempt = first_attempt(&state, &guest, &name);
    match state.signin.first_factor(&attempt, checked.is_some()).await {
        Ok(step) => after_first_factor(&state, &guest, (checked, false), step).await,
        Err(e) => failure(&state, guest.lang, e),
    }
}

/// Where the engine's answer to the first factor leads; `by_link` when
/// the first factor was a one-time link.
pub(super) async fn after_first_factor(
    state: &AppState,
    guest: &Guest,
    (user, by_link): (Option<User>, bool),
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
    let (level, underway) = match underway_of(step) {
        Ok(underway) => (Level::SecondFactor, Some(underway)),
        Err(Step::Accepted {
            reason: Some(Reason::NotEnrolled),
            ..
        }) => (Level::Enrol, None),
        Err(Step::Accepted { .. }) => (Level::SignedIn, None),
        Err(_) => return Redirect::to("/portal/login").into_response(),
    };
    let data = SessionData {
        underway,
        by_link,
        ..SessionData::default()
    };
    match state
        .sessions
        .users
        .open(&user, level, data, guest.address.clone())
        .await
    {
        Ok((token, _)) => guest.with_session(Some(&token), Redirect::to(PORTAL.landing(level))),
        Err(e) => failure(state, guest.lang, e),
    }
}

/// What a refused user is told: the engine's generic words by default
/// (translated when the operator set none), else the reason in words.
fn refusal(state: &AppState, lang: Lang, reason: Reason) -> String {
    let key = match state.signin.refusal(reason) {
        Refusal::Generic(None) => "sign_in_failed",
        Refusal::Generic(Some(words)) => return words.to_string(),
        Refusal::Told(Reason::PasswordIncorrect | Reason::UnknownUser) => "wrong_name_or_password",
        Refusal::Told(Reason::UserLockedOut) => "locked_out",
        Refusal::Told(Reason::UserDisabled | Reason::FraudReported) => "account_blocked",
        Refusal::Told(Reason::NoMethod) => "no_method_enrolment_off",
        Refusal::Told(reason) => return reason.message().to_string(),
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
    let attempt = first_attempt(&state, &guest, &user.username);
    match state.signin.first_factor(&attempt, true).await {
        Ok(step) => after_first_factor(&state, &guest, (Some(user), true), step).await,
        Err(e) => failure(&state, guest.lang, e),
    }
}

pub async fn logout(State(state): State<AppState>, guest: Guest) -> Response {
    if let Some(live) = &guest.live {
        if let Err(e) = state.sessions.users.end(&live.id_hash).await {
            return failure(&state, guest.lang, e);
        }
    }
    guest.with_session(None, Redirect::to("/portal/login"))
}
