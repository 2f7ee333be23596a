//! Signing in at `/sso`: the first factor (the directory's password for
//! directory users, else the portal password: `Portal::check_password`
//! decides), then the user's second factor through the engine; the same
//! words for every refusal. Afterwards the browser goes back to `rd` when
//! it may ([`super::redirect`]), else it sees a "signed in" page.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use countersign_domain::methods::push::PushContext;
use countersign_domain::model::audit::Source;
use countersign_domain::model::session::{Level, SsoData};
use countersign_domain::sessions::{Closed, SsoUser};
use countersign_domain::signin::{Attempt, DoorRules, Method, Refusal, Step};
use countersign_domain::{DomainError, Reason, User};
use minijinja::{context, Value};
use serde::Deserialize;

use super::door::Guest;
use super::redirect::{allowed_rd, application_of};
use super::verify::underway_of;
use crate::portal::Lang;
use crate::sessions::SSO;
use crate::AppState;

#[derive(Deserialize, Default)]
pub struct SignInQuery {
    rd: Option<String>,
    fresh: Option<String>,
    ended: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    rd: String,
}

/// `/sso`'s door rules: only users with a second factor get through.
pub const RULES: DoorRules = DoorRules {
    require_user_match: true,
    fallback_otp: false,
};

/// An attempt from this door (`Source.client` `sso`).
pub fn attempt(
    guest: &Guest,
    username: &str,
    method: Option<Method>,
    code: Option<String>,
    application: &str,
) -> Attempt {
    Attempt {
        username: username.to_string(),
        method,
        code,
        context: PushContext {
            application: Some(application.to_string()),
            client_address: guest.address.clone(),
            number_matching: None,
        },
        source: source(guest),
        rules: RULES,
        administrator: false,
        network: None,
        remembered: None,
    }
}

pub fn source(guest: &Guest) -> Source {
    Source {
        client: Some("sso".into()),
        address: guest.address.clone(),
        ..Source::default()
    }
}

pub async fn form(
    State(state): State<AppState>,
    guest: Guest,
    Query(q): Query<SignInQuery>,
) -> Response {
    let rd = allowed_rd(&state, q.rd.as_deref());
    let signed_in = guest
        .live
        .as_ref()
        .is_some_and(|l| l.level == Level::SignedIn);
    if signed_in && q.fresh.as_deref() != Some("1") {
        return match rd {
            Some(rd) => Redirect::to(&rd).into_response(),
            None => signed_in_page(&state, &guest),
        };
    }
    let ended = q.ended.as_deref().and_then(Closed::parse).or(guest.closed);
    let error = ended.map(|c| c.message().to_string());
    login_page(&state, &guest, "", rd.as_deref(), error, StatusCode::OK)
}

pub fn login_page(
    state: &AppState,
    guest: &Guest,
    username: &str,
    rd: Option<&str>,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let pages = &state.portal_pages;
    let ctx = context! { username => username, error => error, csrf => guest.csrf(state),
    rd => rd.unwrap_or(""), title => pages.word(guest.lang, "sso_sign_in"),
    application => rd.map(application_of),
    passkeys_on => state.signin.passkeys().is_some() };
    render(state, guest.lang, status, "sso_login.html", ctx)
}

/// A `/sso` page: the portal's templates and words, under the account name.
pub fn render(
    state: &AppState,
    lang: Lang,
    status: StatusCode,
    name: &str,
    ctx: Value,
) -> Response {
    let brand = state.settings.current().account_name;
    let ctx = context! { brand => brand, ..ctx };
    state.portal_pages.render(lang, status, name, ctx)
}

pub async fn submit(
    State(state): State<AppState>,
    guest: Guest,
    Form(form): Form<LoginForm>,
) -> Response {
    let rd = allowed_rd(&state, Some(&form.rd));
    let username = form.username.trim();
    if username.is_empty() || form.password.is_empty() {
        let error = state
            .portal_pages
            .word(guest.lang, "enter_name_and_password");
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return login_page(&state, &guest, username, rd.as_deref(), Some(error), status);
    }
    let checked = match state.portal.check_password(username, &form.password).await {
        Ok(checked) => checked,
        Err(e) => return failure(&state, guest.lang, e),
    };
    let name = checked
        .as_ref()
        .map_or(username.to_string(), |u| u.username.clone());
    let application = application_name(&state, guest.lang, rd.as_deref());
    // A remembered browser's cookie goes to the engine, which decides.
    let attempt = Attempt {
        remembered: guest.remembered.clone(),
        ..attempt(&guest, &name, None, None, &application)
    };
    match state.signin.first_factor(&attempt, checked.is_some()).await {
        Ok(step) => after_first_factor(&state, &guest, checked, step, (rd, false)).await,
        Err(e) => failure(&state, guest.lang, e),
    }
}

/// What the phone shows as the application: the host the browser is going to.
pub fn application_name(state: &AppState, lang: Lang, rd: Option<&str>) -> String {
    match rd {
        Some(rd) => application_of(rd),
        None => state.portal_pages.word(lang, "sso_name"),
    }
}

/// Where the engine's answer to the first factor leads: refused, the
/// second factor under way, or signed in (a passkey as both factors, or a
/// one-time bypass).
pub(super) async fn after_first_factor(
    state: &AppState,
    guest: &Guest,
    user: Option<User>,
    step: Step,
    (rd, passkey): (Option<String>, bool),
) -> Response {
    let (Some(user), false) = (user, matches!(step, Step::Rejected { .. })) else {
        let reason = match step {
            Step::Rejected { reason } => reason,
            _ => Reason::PasswordIncorrect,
        };
        tracing::info!(reason = %reason, "sso sign-in refused");
        let words = refusal(state, guest.lang, reason);
        let status = StatusCode::UNAUTHORIZED;
        return login_page(state, guest, "", rd.as_deref(), Some(words), status);
    };
    if let Some(old) = &guest.live {
        if let Err(e) = state.sso.sign_out(&old.id_hash).await {
            return failure(state, guest.lang, e);
        }
    }
    let now = state.sso.sessions().now();
    let (level, data) = match underway_of(step) {
        Ok(underway) => (
            Level::SecondFactor,
            SsoData {
                underway: Some(underway),
                rd,
                ..SsoData::default()
            },
        ),
        Err(_) => {
            let methods = if passkey {
                vec![Method::Webauthn]
            } else {
                Vec::new()
            };
            (
                Level::SignedIn,
                SsoData {
                    rd,
                    auth_time: now,
                    methods,
                    passkey,
                    ..SsoData::default()
                },
            )
        }
    };
    let opened = state
        .sso
        .sessions()
        .open(&SsoUser(user), level, data, guest.address.clone())
        .await;
    match opened {
        Ok((token, live)) if level == Level::SignedIn => guest.with_session(
            Some(&token),
            done(state, guest.lang, live.data.rd.as_deref()),
        ),
        Ok((token, _)) => guest.with_session(Some(&token), Redirect::to(SSO.second_factor)),
        Err(e) => failure(state, guest.lang, e),
    }
}

/// Just signed in: on to `rd`, or to `/sso`, which says so (a page
/// rendered here would carry the pre-session's `csrf`, not the session's).
/// An `rd` on another origin (an application behind a proxy) is reached
/// through a page that moves on by itself: this answers a form, and the
/// CSP's `form-action 'self'` would stop a redirect there.
pub fn done(state: &AppState, lang: Lang, rd: Option<&str>) -> Response {
    match rd {
        Some(rd) => onward(state, lang, "sso_signed_in", rd),
        None => Redirect::to(SSO.signed_in).into_response(),
    }
}

/// To an allowed `rd`: a redirect on our own origin, else a page titled
/// `title` (a catalogue key) that moves on by itself.
fn onward(state: &AppState, lang: Lang, title: &str, rd: &str) -> Response {
    if state.sso.policy().on_own_origin(rd) {
        return Redirect::to(rd).into_response();
    }
    let ctx = context! { title => state.portal_pages.word(lang, title),
    rd => rd, application => application_of(rd) };
    render(state, lang, StatusCode::OK, "sso_continue.html", ctx)
}

/// The page a signed-in browser sees at `/sso` without `rd`.
fn signed_in_page(state: &AppState, guest: &Guest) -> Response {
    let who = guest.live.as_ref().map(|live| {
        let user = &live.subject.0;
        user.display_name
            .clone()
            .unwrap_or_else(|| user.username.clone())
    });
    let more = context! { signed_in => true, csrf => guest.csrf(state), who => who };
    let (title, text) = ("sso_signed_in", "sso_signed_in_text");
    message(state, guest.lang, StatusCode::OK, title, text, Some(more))
}

/// What a refused user is told: the engine's generic words by default
/// (translated when the operator set none), else the reason in words.
pub fn refusal(state: &AppState, lang: Lang, reason: Reason) -> String {
    let key = match state.signin.refusal(reason) {
        Refusal::Generic(None) => "sign_in_failed",
        Refusal::Generic(Some(words)) => return words.to_string(),
        Refusal::Told(Reason::PasswordIncorrect | Reason::UnknownUser) => "wrong_name_or_password",
        Refusal::Told(Reason::UserLockedOut) => "locked_out",
        Refusal::Told(Reason::UserDisabled | Reason::FraudReported) => "account_blocked",
        Refusal::Told(reason) => return reason.message().to_string(),
    };
    state.portal_pages.word(lang, key)
}

#[derive(Deserialize, Default)]
pub struct LogoutQuery {
    rd: Option<String>,
}

/// `GET /sso/logout`: signs out (a link from an application's menu).
pub async fn logout_page(
    State(state): State<AppState>,
    guest: Guest,
    Query(q): Query<LogoutQuery>,
) -> Response {
    signed_out(&state, &guest, q.rd.as_deref()).await
}

/// `POST /sso/logout` (the pages' button, with `csrf`).
pub async fn logout(
    State(state): State<AppState>,
    guest: Guest,
    Form(q): Form<LogoutQuery>,
) -> Response {
    signed_out(&state, &guest, q.rd.as_deref()).await
}

async fn signed_out(state: &AppState, guest: &Guest, rd: Option<&str>) -> Response {
    if let Some(live) = &guest.live {
        if let Err(e) = state.sso.sign_out(&live.id_hash).await {
            return failure(state, guest.lang, e);
        }
    }
    let answer = match allowed_rd(state, rd) {
        Some(rd) => onward(state, guest.lang, "sso_signed_out", &rd),
        None => message(
            state,
            guest.lang,
            StatusCode::OK,
            "sso_signed_out",
            "sso_signed_out_text",
            None,
        ),
    };
    guest.with_session(None, answer)
}

/// A page with a title and a message (catalogue keys), and more context.
pub fn message(
    state: &AppState,
    lang: Lang,
    status: StatusCode,
    title: &str,
    text: &str,
    more: Option<Value>,
) -> Response {
    let pages = &state.portal_pages;
    let ctx = context! { title => pages.word(lang, title), message => pages.word(lang, text),
    ..more.unwrap_or_default() };
    render(state, lang, status, "sso_message.html", ctx)
}

/// A domain failure on a page: in words, with the right status.
pub fn failure(state: &AppState, lang: Lang, e: DomainError) -> Response {
    if let Some(busy) = crate::http::throttle::busy_page(&e) {
        return busy;
    }
    tracing::error!(error = %e, "sso request failed");
    let status = StatusCode::SERVICE_UNAVAILABLE;
    message(
        state,
        lang,
        status,
        "server_problem",
        "server_problem_text",
        None,
    )
}
