//! What every portal request passes through, as in the console: the
//! session cookie read once, a `csrf` field required on every POST (else
//! 403), the strict security headers on every answer; and the visitor's
//! language from Accept-Language. Portal cookies are not console cookies: a
//! portal session never opens `/admin`.

use axum::extract::{FromRequestParts, Request, State};
use axum::http::header::{self, HeaderMap};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use countersign_domain::model::ids::random_text;
use countersign_domain::portal::{PortalLive, PortalStage};
use countersign_domain::sessions::console::Closed;

use super::pages::{self, Lang};
use super::PortalState;
use crate::console::guard::{
    checked_body, cookie, read_cookie, run_guarded, secure_headers, Refusal,
};
use crate::http::extract::ClientAddr;
use crate::AppState;

/// Who is asking, as the guard found out.
#[derive(Clone)]
pub struct Guest {
    pub live: Option<PortalLive>,
    pub closed: Option<Closed>,
    pub pre_token: String,
    pub new_pre_token: bool,
    pub address: Option<String>,
    pub https: bool,
    pub lang: Lang,
}

impl Guest {
    pub fn csrf(&self, state: &impl AsRef<PortalState>) -> String {
        match &self.live {
            Some(live) => live.csrf.clone(),
            None => state.as_ref().portal.login_csrf(&self.pre_token),
        }
    }

    pub fn session_cookie_name(&self) -> &'static str {
        cookie_names(self.https).0
    }
}

/// `(session, pre-session)` cookie names: `__Host-` over HTTPS.
fn cookie_names(https: bool) -> (&'static str, &'static str) {
    match https {
        true => (
            "__Host-countersign_portal",
            "__Host-countersign_portal_login",
        ),
        false => ("countersign_portal", "countersign_portal_login"),
    }
}

pub async fn portal_guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let (mut parts, body) = request.into_parts();
    let https = state.tls_pin.is_some();
    let (session_name, pre_name) = cookie_names(https);
    let lang = Lang::from_headers(&parts.headers);
    let address = match ClientAddr::from_request_parts(&mut parts, &state).await {
        Ok(ClientAddr(ip)) => ip.map(|ip| ip.to_string()),
        Err(never) => match never {},
    };
    let (live, closed) = match read_cookie(&parts.headers, session_name) {
        Some(token) => match state.portal.find_session(token).await {
            Ok(Ok(live)) => (Some(live), None),
            Ok(Err(closed)) => (None, Some(closed)),
            Err(e) => return pages::failure(&state, lang, e),
        },
        None => (None, None),
    };
    let existing_pre = read_cookie(&parts.headers, pre_name).map(str::to_string);
    let guest = Guest {
        live,
        closed,
        new_pre_token: existing_pre.is_none(),
        pre_token: existing_pre.unwrap_or_else(|| random_text(32)),
        address,
        https,
        lang,
    };
    let first_visit = guest.new_pre_token && guest.live.is_none();
    let body = match checked_body(&parts.method, body, &guest.csrf(&state), first_visit).await {
        Ok(body) => body,
        Err(Refusal::TooLarge) => {
            return refused(
                &state,
                lang,
                StatusCode::PAYLOAD_TOO_LARGE,
                "form_too_large",
            )
        }
        Err(Refusal::Forged) => {
            tracing::warn!(path = %parts.uri.path(), address = guest.address.as_deref().unwrap_or(""),
                "portal form refused: missing or wrong csrf field");
            return refused(&state, lang, StatusCode::FORBIDDEN, "form_expired");
        }
    };
    let set_pre = guest
        .new_pre_token
        .then(|| cookie(pre_name, &guest.pre_token, https, false));
    parts.extensions.insert(guest);
    let mut response = run_guarded(parts, body, next, set_pre).await;
    vary_language(response.headers_mut());
    response
}

fn vary_language(headers: &mut HeaderMap) {
    headers.append(
        header::VARY,
        header::HeaderValue::from_static("Accept-Language"),
    );
}

fn refused(state: &AppState, lang: Lang, status: StatusCode, key: &str) -> Response {
    let mut response = pages::message(state, lang, status, "not_accepted", key);
    secure_headers(response.headers_mut());
    response
}

impl FromRequestParts<AppState> for Guest {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Response> {
        parts
            .extensions
            .get::<Guest>()
            .cloned()
            .ok_or_else(|| StatusCode::INTERNAL_SERVER_ERROR.into_response())
    }
}

/// A user fully signed in; anyone else is sent on to where they are.
pub struct Member(pub PortalLive, pub Guest);

/// A user signed in, or signed in to enrol a first method only.
pub struct Enroller(pub PortalLive, pub Guest);

fn elsewhere(guest: &Guest) -> Response {
    match &guest.live {
        Some(live) if live.stage == PortalStage::Enrol => Redirect::to("/portal/enrol"),
        Some(live) if live.stage == PortalStage::SecondFactor => Redirect::to("/portal/verify"),
        Some(_) => Redirect::to("/portal"),
        None => Redirect::to(&login_path(guest.closed)),
    }
    .into_response()
}

pub fn login_path(closed: Option<Closed>) -> String {
    match closed {
        Some(closed) => format!("/portal/login?ended={}", closed.as_str()),
        None => "/portal/login".to_string(),
    }
}

impl FromRequestParts<AppState> for Member {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let guest = Guest::from_request_parts(parts, state).await?;
        match guest.live.clone() {
            Some(live) if live.stage == PortalStage::SignedIn => Ok(Member(live, guest)),
            _ => Err(elsewhere(&guest)),
        }
    }
}

impl FromRequestParts<AppState> for Enroller {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let guest = Guest::from_request_parts(parts, state).await?;
        match guest.live.clone() {
            Some(live) if matches!(live.stage, PortalStage::SignedIn | PortalStage::Enrol) => {
                Ok(Enroller(live, guest))
            }
            _ => Err(elsewhere(&guest)),
        }
    }
}

/// Sets (or, with `token` `None`, removes) the portal session cookie.
pub fn with_session(guest: &Guest, token: Option<&str>, answer: impl IntoResponse) -> Response {
    let mut response = answer.into_response();
    let value = cookie(
        guest.session_cookie_name(),
        token.unwrap_or(""),
        guest.https,
        token.is_none(),
    );
    response.headers_mut().append(header::SET_COOKIE, value);
    response
}
