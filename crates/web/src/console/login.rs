//! Signing in: name and password, then the administrator's own second
//! factor through the sign-in engine (enrolled first if they have none).

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use countersign_domain::model::admin::Admin;
use countersign_domain::model::audit::Source;
use countersign_domain::model::session::Level;
use countersign_domain::model::user::PRINCIPAL_PREFIX;
use countersign_domain::sessions::{Closed, Live};
use countersign_domain::signin::{Attempt, Method, Step};
use countersign_domain::Reason;
use minijinja::context;
use serde::Deserialize;

use super::guard::Visitor;
use super::page::{base, failure, render};
use crate::sessions::CONSOLE;
use crate::AppState;

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
}

#[derive(Deserialize, Default)]
pub struct EnrolQuery {
    new: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct LoginQuery {
    ended: Option<String>,
}

pub async fn form(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(query): Query<LoginQuery>,
) -> Response {
    let ended = query.ended.as_deref().and_then(Closed::parse);
    let error = ended.or(visitor.closed).map(|c| c.message());
    let page = login_page(&state, &visitor, "", error, StatusCode::OK);
    match visitor.closed {
        Some(_) => visitor.with_session(None, page),
        None => page,
    }
}

pub(super) fn login_page(
    state: &AppState,
    visitor: &Visitor,
    username: &str,
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    let ctx = context! { username => username, error => error, title => "Sign in",
    passkeys_on => state.signin.passkeys().is_some(), ..base(state, visitor, "") };
    // The sign-in page never shows the navigation, even to a signed-in visitor.
    let ctx = context! { me => (), ..ctx };
    render(status, "login.html", ctx)
}

pub(super) fn attempt_for(name: &str, visitor: &Visitor, code: Option<String>) -> Attempt {
    Attempt {
        username: format!("{PRINCIPAL_PREFIX}{name}"),
        method: code.as_ref().map(|_| Method::Otp),
        code,
        source: Source {
            client: Some("console".into()),
            address: visitor.address.clone(),
            rule: None,
        },
        administrator: true,
        remembered: None,
        ..Attempt::default()
    }
}

pub async fn submit(
    State(state): State<AppState>,
    visitor: Visitor,
    Form(form): Form<LoginForm>,
) -> Response {
    match sign_in_password(&state, &visitor, &form).await {
        Ok(response) => response,
        Err(e) => failure(e),
    }
}

async fn sign_in_password(
    state: &AppState,
    visitor: &Visitor,
    form: &LoginForm,
) -> Result<Response, countersign_domain::DomainError> {
    let (name, password) = (form.username.trim(), form.password.as_str());
    let known = state.store.admin_by_name(name).await?;
    if known.is_some() {
        // The principal carries the lockout and the second factor.
        state.accounts.principal(name).await?;
    }
    let checked = state.admins.check_password(name, password).await?;
    let attempt = attempt_for(name, visitor, None);
    let step = state
        .signin
        .first_factor(&attempt, checked.is_some())
        .await?;
    let (Step::Challenge { .. }, Some(admin)) = (&step, checked) else {
        let reason = match step {
            Step::Rejected { reason } => reason,
            _ => Reason::PasswordIncorrect,
        };
        tracing::info!(admin = %name, reason = %reason, "console sign-in refused");
        let words = state.signin.refusal(reason).words();
        return Ok(login_page(
            state,
            visitor,
            name,
            Some(&words),
            StatusCode::UNAUTHORIZED,
        ));
    };
    let level = match admin.second_factor_at {
        Some(_) => Level::SecondFactor,
        None => Level::Enrol,
    };
    let (token, _) = state
        .sessions
        .admins
        .open(&admin, level, (), visitor.address.clone())
        .await?;
    let next = Redirect::to(CONSOLE.landing(level));
    Ok(visitor.with_session(Some(&token), next))
}

/// The session at `level`, or the way back to the start (unlike
/// `Visit::at`, a session at another level starts again at the sign-in page).
pub(super) fn at_level(visitor: &Visitor, level: Level) -> Result<Live<Admin>, Redirect> {
    match &visitor.live {
        Some(live) if live.level == level => Ok(live.clone()),
        Some(live) if live.level == Level::SignedIn => Err(Redirect::to("/admin")),
        _ => Err(Redirect::to(&visitor.login_path())),
    }
}

pub async fn code_form(State(state): State<AppState>, visitor: Visitor) -> Response {
    match at_level(&visitor, Level::SecondFactor) {
        Ok(live) => code_page(&state, &visitor, &live, None, None),
        Err(back) => back.into_response(),
    }
}

pub(super) fn code_page(
    state: &AppState,
    visitor: &Visitor,
    live: &Live<Admin>,
    enrolment: Option<(String, String)>,
    error: Option<&str>,
) -> Response {
    let enrol = live.level == Level::Enrol;
    let (qr_svg, secret) = enrolment.unzip();
    let ctx = context! {
        enrol => enrol, qr_svg => qr_svg, secret => secret, error => error,
        name => live.subject.name.clone(), title => if enrol { "Set up your second factor" } else { "Enter your code" },
        must_use => state.settings.current().admins_must_use_passkey,
        passkeys_on => state.signin.passkeys().is_some(),
        ..base(state, visitor, "")
    };
    let status = match error {
        Some(_) => StatusCode::UNAUTHORIZED,
        None => StatusCode::OK,
    };
    render(status, "code.html", context! { me => (), ..ctx })
}

pub async fn code_submit(
    State(state): State<AppState>,
    visitor: Visitor,
    Form(form): Form<CodeForm>,
) -> Response {
    match at_level(&visitor, Level::SecondFactor) {
        Ok(live) => finish(&state, &visitor, live, &form.code).await,
        Err(back) => back.into_response(),
    }
}

/// Sends the code through the engine; accepted: fully signed in under a new token.
async fn finish(state: &AppState, visitor: &Visitor, live: Live<Admin>, code: &str) -> Response {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    let attempt = attempt_for(&live.subject.name, visitor, Some(code));
    let step = match state.signin.start(&attempt).await {
        Ok(step) => step,
        Err(e) => return failure(e),
    };
    match step {
        Step::Accepted { .. } => signed_in(state, visitor, live).await,
        Step::Rejected { reason } if reason == Reason::UserLockedOut => {
            let _ = state.sessions.admins.close_all(&live.subject.id).await;
            login_page(
                state,
                visitor,
                &live.subject.name,
                Some(reason.message()),
                StatusCode::UNAUTHORIZED,
            )
        }
        // `admins_must_use_passkey`: the engine refuses the code of an
        // administrator who has a passkey; the page says what to do.
        Step::Rejected {
            reason: Reason::MethodNotAllowed,
        } if state.settings.current().admins_must_use_passkey => {
            code_page(state, visitor, &live, None, Some(MUST_USE_PASSKEY))
        }
        Step::Rejected { reason } => code_page(state, visitor, &live, None, Some(reason.message())),
        _ => code_page(
            state,
            visitor,
            &live,
            None,
            Some("Enter the 6-digit code from your authenticator app."),
        ),
    }
}

/// What an administrator with a passkey is told when their code is refused.
const MUST_USE_PASSKEY: &str = "Your code is not accepted: administrators who have a passkey must \
    sign in with it (the settings say so). Use your passkey below, or \"Sign in with a passkey\" on the sign-in page.";

/// The second factor was accepted: fully signed in under a new token.
pub(super) async fn signed_in(state: &AppState, visitor: &Visitor, live: Live<Admin>) -> Response {
    let sessions = &state.sessions.admins;
    if live.level == Level::Enrol {
        if let Err(e) = sessions.second_factor_enrolled(&live.subject.id).await {
            return failure(e);
        }
    }
    match sessions.advance(&live, Level::SignedIn).await {
        Ok((token, _)) => {
            tracing::info!(admin = %live.subject.name, "administrator signed in to the console");
            visitor.with_session(Some(&token), Redirect::to("/admin"))
        }
        Err(e) => failure(e),
    }
}

pub async fn enrol_form(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(query): Query<EnrolQuery>,
) -> Response {
    let live = match at_level(&visitor, Level::Enrol) {
        Ok(live) => live,
        Err(back) => return back.into_response(),
    };
    let principal = match state.accounts.principal(&live.subject.name).await {
        Ok(user) => user,
        Err(e) => return failure(e),
    };
    let has_token = match state.store.tokens_of_user(&principal.id).await {
        Ok(tokens) => !tokens.is_empty(),
        Err(e) => return failure(e.into()),
    };
    if has_token && query.new.is_none() {
        return code_page(&state, &visitor, &live, None, None);
    }
    let enrolment = match state.accounts.enrol_principal(&live.subject.name).await {
        Ok(enrolment) => enrolment,
        Err(e) => return failure(e),
    };
    let qr = countersign_otp::qr::svg(&enrolment.otpauth_uri).unwrap_or_default();
    code_page(&state, &visitor, &live, Some((qr, enrolment.secret)), None)
}

pub async fn enrol_submit(
    State(state): State<AppState>,
    visitor: Visitor,
    Form(form): Form<CodeForm>,
) -> Response {
    match at_level(&visitor, Level::Enrol) {
        Ok(live) => finish(&state, &visitor, live, &form.code).await,
        Err(back) => back.into_response(),
    }
}

fn signed_out(visitor: &Visitor) -> Response {
    visitor.with_session(None, Redirect::to("/admin/login"))
}

pub async fn logout(State(state): State<AppState>, visitor: Visitor) -> Response {
    if let Some(live) = &visitor.live {
        if let Err(e) = state.sessions.admins.end(&live.id_hash).await {
            return failure(e);
        }
    }
    signed_out(&visitor)
}

pub async fn logout_everywhere(State(state): State<AppState>, visitor: Visitor) -> Response {
    if let Some(live) = &visitor.live {
        match state.sessions.admins.close_all(&live.subject.id).await {
            Ok(n) => {
                tracing::info!(admin = %live.subject.name, sessions = n, "signed out everywhere")
            }
            Err(e) => return failure(e),
        }
    }
    signed_out(&visitor)
}
