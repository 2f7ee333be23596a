//! Setting up ways to sign in: a TOTP token for any app (saved only once
//! its first code is right) and the Countersign authenticator (an
//! activation code, URL and QR, with the page seeing the device arrive).
//! A session that signed in only to enrol becomes a full one when the
//! first method is set up.

use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use countersign_domain::model::session::Level;
use countersign_domain::portal::PortalLive;
use countersign_domain::DomainError;
use minijinja::context;

use super::guard::{Enroller, Guest};
use super::pages::{failure, grouped, render, turned_off};
use super::signin::{CodeForm, WaitQuery};
use super::PortalState;

const ACTIVATION_WAIT: Duration = Duration::from_secs(20);

/// The first page of a user who has no method yet: what they can set up.
pub async fn landing(
    State(state): State<PortalState>,
    Enroller(live, guest): Enroller,
) -> Response {
    if live.level == Level::SignedIn {
        return Redirect::to("/portal").into_response();
    }
    let settings = state.settings.current();
    let passkeys_on = state.passkeys.is_some();
    if !settings.allow_app_activation && !settings.allow_token_enrolment && !passkeys_on {
        return turned_off(&state, guest.lang, "nothing_to_enrol");
    }
    let ctx = context! { title => state.pages.word(guest.lang, "enrol_title"), csrf => guest.csrf(&state),
    allow => minijinja::value::Serde(&settings), enrolling => true, passkeys_on => passkeys_on,
    name => live.subject.display_name.clone().unwrap_or_else(|| live.subject.username.clone()) };
    render(&state, guest.lang, StatusCode::OK, "home.html", ctx)
}

fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

pub async fn totp_page(
    State(state): State<PortalState>,
    Enroller(mut live, guest): Enroller,
) -> Response {
    if !state.settings.current().allow_token_enrolment {
        return turned_off(&state, guest.lang, "token_enrolment_off");
    }
    // A reload shows the same seed: the app may already have it.
    let secret = match live.data.totp_secret.clone() {
        Some(secret) => secret,
        None => match state.accounts.propose_totp(&live.subject) {
            Ok(enrolment) => {
                live.data.totp_secret = Some(enrolment.secret.clone());
                if let Err(e) = state.sessions.users.save_data(&live).await {
                    return failure(&state, guest.lang, e);
                }
                enrolment.secret
            }
            Err(e) => return failure(&state, guest.lang, e),
        },
    };
    totp_answer(&state, &guest, &live, &secret, None)
}

fn totp_answer(
    state: &PortalState,
    guest: &Guest,
    live: &PortalLive,
    secret: &str,
    error: Option<String>,
) -> Response {
    let issuer = state.settings.current().account_name;
    let uri = countersign_otp::uri::KeyUri {
        kind: countersign_otp::Kind::Totp,
        issuer: Some(issuer),
        account: live.subject.username.clone(),
        secret: countersign_otp::base32::decode(secret).unwrap_or_default(),
        algorithm: countersign_otp::Algorithm::Sha1,
        digits: 6,
        period: 30,
        counter: None,
    }
    .to_uri();
    let qr = countersign_otp::qr::svg(&uri).unwrap_or_default();
    let grouped = grouped(secret);
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let ctx = context! { title => state.pages.word(guest.lang, "totp_title"), csrf => guest.csrf(state),
    qr_svg => qr, secret => grouped, error => error, signed_in => true,
        back => if live.level == Level::SignedIn { "/portal" } else { "/portal/enrol" } };
    no_store(render(state, guest.lang, status, "totp.html", ctx))
}

pub async fn totp_submit(
    State(state): State<PortalState>,
    Enroller(mut live, guest): Enroller,
    Form(form): Form<CodeForm>,
) -> Response {
    if !state.settings.current().allow_token_enrolment {
        return turned_off(&state, guest.lang, "token_enrolment_off");
    }
    let Some(secret) = live.data.totp_secret.clone() else {
        return Redirect::to("/portal/totp").into_response();
    };
    let code: String = form.code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        let error = state.pages.word(guest.lang, "enter_six_digits");
        return totp_answer(&state, &guest, &live, &secret, Some(error));
    }
    match state
        .accounts
        .confirm_totp(&live.subject, &secret, &code)
        .await
    {
        Ok(Some(_)) => {
            tracing::info!(user = %live.subject.username, "TOTP token added in the portal");
            live.data.totp_secret = None;
            enrolled(&state, &guest, &live, "/portal?notice=token_added").await
        }
        Ok(None) => {
            let error = state.pages.word(guest.lang, "code_not_right");
            totp_answer(&state, &guest, &live, &secret, Some(error))
        }
        Err(e) => failure(&state, guest.lang, e),
    }
}

/// A method was set up: an enrol-only session becomes a full one; on to `target`.
pub(super) async fn enrolled(
    state: &PortalState,
    guest: &Guest,
    live: &PortalLive,
    target: &str,
) -> Response {
    if live.level == Level::Enrol {
        return match state.sessions.users.advance(live, Level::SignedIn).await {
            Ok((token, _)) => guest.with_session(Some(&token), Redirect::to(target)),
            Err(e) => failure(state, guest.lang, e),
        };
    }
    match state.sessions.users.save_data(live).await {
        Ok(()) => Redirect::to(target).into_response(),
        Err(e) => failure(state, guest.lang, e),
    }
}

pub async fn app_start(
    State(state): State<PortalState>,
    Enroller(mut live, guest): Enroller,
) -> Response {
    if !state.settings.current().allow_app_activation {
        return turned_off(&state, guest.lang, "app_activation_off");
    }
    let result = async {
        let grant = state.push.create_activation(&live.subject.username).await?;
        live.data.devices_before = Some(state.push.devices_of(&live.subject).await?.len());
        live.data.activation_code = Some(grant.code);
        live.data.activation_expires_at = Some(grant.expires_at);
        state.sessions.users.save_data(&live).await
    }
    .await;
    match result {
        Ok(()) => Redirect::to("/portal/app").into_response(),
        Err(e) => failure(&state, guest.lang, e),
    }
}

pub async fn app_page(
    State(state): State<PortalState>,
    Enroller(mut live, guest): Enroller,
    Query(q): Query<WaitQuery>,
    headers: HeaderMap,
) -> Response {
    let (Some(code), Some(before)) = (live.data.activation_code.clone(), live.data.devices_before)
    else {
        return Redirect::to(if live.level == Level::Enrol {
            "/portal/enrol"
        } else {
            "/portal"
        })
        .into_response();
    };
    let activated = match q.wait {
        Some(_) => wait_for_device(&state, &live, before).await,
        None => device_count(&state, &live).await.map(|n| n > before),
    };
    match activated {
        Ok(true) => {
            live.data.activation_code = None;
            live.data.devices_before = None;
            return enrolled(&state, &guest, &live, "/portal?notice=app_activated").await;
        }
        Ok(false) => {}
        Err(e) => return failure(&state, guest.lang, e),
    }
    let url = state.address.url(&headers);
    let app_link = countersign_domain::methods::push::activation::app_url(&url, &code);
    let grouped = grouped(&code);
    let ctx = context! {
        title => state.pages.word(guest.lang, "app_title"), csrf => guest.csrf(&state),
        qr_svg => countersign_otp::qr::svg(&app_link).unwrap_or_default(), code => grouped, url => url.clone(),
        app_link => app_link, cli_uri => state.address.activation_uri(&url, &code),
        expires => live.data.activation_expires_at.map(crate::console::when), signed_in => true,
    };
    no_store(render(&state, guest.lang, StatusCode::OK, "app.html", ctx))
}

async fn device_count(state: &PortalState, live: &PortalLive) -> Result<usize, DomainError> {
    Ok(state.push.devices_of(&live.subject).await?.len())
}

/// Looks for the new device for a while (the page then reloads itself).
async fn wait_for_device(
    state: &PortalState,
    live: &PortalLive,
    before: usize,
) -> Result<bool, DomainError> {
    let deadline = tokio::time::Instant::now() + ACTIVATION_WAIT;
    loop {
        if device_count(state, live).await? > before {
            return Ok(true);
        }
        if tokio::time::Instant::now() >= deadline {
            return Ok(false);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}
