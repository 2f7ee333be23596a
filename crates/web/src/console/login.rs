//! Signing in: name and password, then the administrator's own second
//! factor through the sign-in engine (enrolled first if they have none).

use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use countersign_domain::model::audit::Source;
use countersign_domain::model::session::Stage;
use countersign_domain::model::user::PRINCIPAL_PREFIX;
use countersign_domain::sessions::console::{Closed, Live};
use countersign_domain::signin::{Attempt, Method, Step};
use countersign_domain::Reason;
use minijinja::context;
use serde::Deserialize;

use super::guard::{cookie, login_path, Visitor};
use super::page::{base, failure, render};
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
    let mut page = login_page(&state, &visitor, "", error, StatusCode::OK);
    if visitor.closed.is_some() {
        let value = cookie(visitor.session_cookie_name(), "", visitor.https, true);
        page.headers_mut().append(header::SET_COOKIE, value);
    }
    page
}

fn login_page(
    state: &AppState,
    visitor: &Visitor,
    username: &str,
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    let ctx = context! { username => username, error => error, title => "Sign in", ..base(state, visitor, "") };
    // The sign-in page never shows the navigation, even to a signed-in visitor.
    let ctx = context! { me => (), ..ctx };
    render(status, "login.html", ctx)
}

fn attempt_for(name: &str, visitor: &Visitor, code: Option<String>) -> Attempt {
    Attempt {
        username: format!("{PRINCIPAL_PREFIX}{name}"),
        method: code.as_ref().map(|_| Method::Otp),
        code,
        source: Source {
            client: Some("console".into()),
            address: visitor.address.clone(),
        },
        administrator: true,
        ..Attempt::default()
    }
}

pub async fn submit(
    State(state): State<AppState>,
    visitor: Visitor,
    Form(form): Form<LoginForm>,
) -> Response {
    let name = form.username.trim();
    match sign_in_password(&state, &visitor, name, &form.password).await {
        Ok(response) => response,
        Err(e) => failure(e),
    }
}

async fn sign_in_password(
    state: &AppState,
    visitor: &Visitor,
    name: &str,
    password: &str,
) -> Result<Response, countersign_domain::DomainError> {
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
        let message = reason.message();
        return Ok(login_page(
            state,
            visitor,
            name,
            Some(message),
            StatusCode::UNAUTHORIZED,
        ));
    };
    let stage = match admin.second_factor_at {
        Some(_) => Stage::Code,
        None => Stage::Enrol,
    };
    let (token, _) = state
        .sessions
        .open(&admin, stage, visitor.address.clone())
        .await?;
    let next = match stage {
        Stage::Enrol => "/admin/enrol",
        _ => "/admin/login/code",
    };
    Ok(with_session_cookie(visitor, &token, Redirect::to(next)))
}

fn with_session_cookie(visitor: &Visitor, token: &str, answer: impl IntoResponse) -> Response {
    let mut response = answer.into_response();
    let value = cookie(visitor.session_cookie_name(), token, visitor.https, false);
    response.headers_mut().append(header::SET_COOKIE, value);
    response
}

/// The session at `stage`, or the way back to the start.
fn at_stage(visitor: &Visitor, stage: Stage) -> Result<Live, Redirect> {
    match &visitor.live {
        Some(live) if live.session.stage == stage => Ok(live.clone()),
        Some(live) if live.session.stage == Stage::SignedIn => Err(Redirect::to("/admin")),
        _ => Err(Redirect::to(&login_path(visitor.closed))),
    }
}

pub async fn code_form(State(state): State<AppState>, visitor: Visitor) -> Response {
    match at_stage(&visitor, Stage::Code) {
        Ok(live) => code_page(&state, &visitor, &live, None, None),
        Err(back) => back.into_response(),
    }
}

fn code_page(
    state: &AppState,
    visitor: &Visitor,
    live: &Live,
    enrolment: Option<(String, String)>,
    error: Option<&str>,
) -> Response {
    let enrol = live.session.stage == Stage::Enrol;
    let (qr_svg, secret) = enrolment.unzip();
    let ctx = context! {
        enrol => enrol, qr_svg => qr_svg, secret => secret, error => error,
        name => live.admin.name.clone(), title => if enrol { "Set up your second factor" } else { "Enter your code" },
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
    match at_stage(&visitor, Stage::Code) {
        Ok(live) => finish(&state, &visitor, live, &form.code).await,
        Err(back) => back.into_response(),
    }
}

/// Sends the code through the engine; accepted: fully signed in under a new token.
async fn finish(state: &AppState, visitor: &Visitor, live: Live, code: &str) -> Response {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    let attempt = attempt_for(&live.admin.name, visitor, Some(code));
    let step = match state.signin.start(&attempt).await {
        Ok(step) => step,
        Err(e) => return failure(e),
    };
    match step {
        Step::Accepted { .. } => {
            if live.session.stage == Stage::Enrol {
                if let Err(e) = state.sessions.second_factor_enrolled(&live.admin.id).await {
                    return failure(e);
                }
            }
            match state.sessions.advance(&live, Stage::SignedIn).await {
                Ok((token, _)) => {
                    tracing::info!(admin = %live.admin.name, "administrator signed in to the console");
                    with_session_cookie(visitor, &token, Redirect::to("/admin"))
                }
                Err(e) => failure(e),
            }
        }
        Step::Rejected { reason } if reason == Reason::UserLockedOut => {
            let _ = state.sessions.close_all(&live.admin.id).await;
            login_page(
                state,
                visitor,
                &live.admin.name,
                Some(reason.message()),
                StatusCode::UNAUTHORIZED,
            )
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

pub async fn enrol_form(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(query): Query<EnrolQuery>,
) -> Response {
    let live = match at_stage(&visitor, Stage::Enrol) {
        Ok(live) => live,
        Err(back) => return back.into_response(),
    };
    let principal = match state.accounts.principal(&live.admin.name).await {
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
    let enrolment = match state.accounts.enrol_principal(&live.admin.name).await {
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
    match at_stage(&visitor, Stage::Enrol) {
        Ok(live) => finish(&state, &visitor, live, &form.code).await,
        Err(back) => back.into_response(),
    }
}

fn signed_out(visitor: &Visitor) -> Response {
    let mut response = Redirect::to("/admin/login").into_response();
    let value = cookie(visitor.session_cookie_name(), "", visitor.https, true);
    response.headers_mut().append(header::SET_COOKIE, value);
    response
}

pub async fn logout(State(state): State<AppState>, visitor: Visitor) -> Response {
    if let Some(live) = &visitor.live {
        if let Err(e) = state.sessions.end(&live.session.id_hash).await {
            return failure(e);
        }
    }
    signed_out(&visitor)
}

pub async fn logout_everywhere(State(state): State<AppState>, visitor: Visitor) -> Response {
    if let Some(live) = &visitor.live {
        match state.sessions.close_all(&live.admin.id).await {
            Ok(n) => {
                tracing::info!(admin = %live.admin.name, sessions = n, "signed out everywhere")
            }
            Err(e) => return failure(e),
        }
    }
    signed_out(&visitor)
}
