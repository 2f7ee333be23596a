//! What every console request passes through: the session cookie is read
//! once, every POST must carry the right `csrf` field (else 403), and every
//! answer gets the security headers (strict CSP, no framing, no caching).

use axum::body::{to_bytes, Body};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use countersign_domain::model::admin::Role;
use countersign_domain::model::ids::random_text;
use countersign_domain::model::session::Stage;
use countersign_domain::sessions::console::{Closed, Live};
use subtle::ConstantTimeEq;

use super::ConsoleState;
use crate::http::extract::ClientAddr;
use crate::AppState;

/// The largest console form accepted.
const FORM_LIMIT: usize = 64 * 1024;

const CSP: &str = "default-src 'self'; frame-ancestors 'none'; form-action 'self'; \
    base-uri 'none'; object-src 'none'; img-src 'self' data:";

/// Who is asking, as the guard found out.
#[derive(Clone)]
pub struct Visitor {
    pub live: Option<Live>,
    /// Why the cookie's session is over, to say so on the sign-in page.
    pub closed: Option<Closed>,
    /// The pre-session cookie that the sign-in form's `csrf` is bound to.
    pub pre_token: String,
    /// Set when `pre_token` is new and the answer must set its cookie.
    pub new_pre_token: bool,
    pub address: Option<String>,
    pub https: bool,
}

impl Visitor {
    /// The `csrf` value this visitor's forms carry.
    pub fn csrf(&self, state: &impl AsRef<ConsoleState>) -> String {
        match &self.live {
            Some(live) => live.session.csrf.clone(),
            None => state.as_ref().sessions.login_csrf(&self.pre_token),
        }
    }

    pub fn session_cookie_name(&self) -> &'static str {
        cookie_names(self.https).0
    }
}

/// `(session, pre-session)` cookie names: `__Host-` over HTTPS.
fn cookie_names(https: bool) -> (&'static str, &'static str) {
    match https {
        true => ("__Host-countersign_session", "__Host-countersign_login"),
        false => ("countersign_session", "countersign_login"),
    }
}

/// A `Set-Cookie` value with the flags every console cookie has.
pub fn cookie(name: &str, value: &str, https: bool, remove: bool) -> HeaderValue {
    let secure = if https { "; Secure" } else { "" };
    let age = if remove { "; Max-Age=0" } else { "" };
    let text = format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict{secure}{age}");
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

pub(crate) fn read_cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
        .filter(|value| !value.is_empty() && value.len() <= 128)
}

pub async fn console_guard(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let (mut parts, body) = request.into_parts();
    let https = state.tls_pin.is_some();
    let (session_name, pre_name) = cookie_names(https);
    let address = match ClientAddr::from_request_parts(&mut parts, &state).await {
        Ok(ClientAddr(ip)) => ip.map(|ip| ip.to_string()),
        Err(never) => match never {},
    };
    let (live, closed) = match read_cookie(&parts.headers, session_name) {
        Some(token) => match state.sessions.find(token).await {
            Ok(Ok(live)) => (Some(live), None),
            Ok(Err(closed)) => (None, Some(closed)),
            Err(e) => return super::page::failure(e),
        },
        None => (None, None),
    };
    let existing_pre = read_cookie(&parts.headers, pre_name).map(str::to_string);
    let visitor = Visitor {
        live,
        closed,
        new_pre_token: existing_pre.is_none(),
        pre_token: existing_pre.unwrap_or_else(|| random_text(32)),
        address,
        https,
    };
    let first_visit = visitor.new_pre_token && visitor.live.is_none();
    let body = match checked_body(&parts.method, body, &visitor.csrf(&state), first_visit).await {
        Ok(body) => body,
        Err(Refusal::TooLarge) => {
            return refused(StatusCode::PAYLOAD_TOO_LARGE, "The form is too large.")
        }
        Err(Refusal::Forged) => {
            tracing::warn!(path = %parts.uri.path(), address = visitor.address.as_deref().unwrap_or(""),
                "console form refused: missing or wrong csrf field");
            return refused(
                StatusCode::FORBIDDEN,
                "This form has expired or did not come from the console. Go back, reload the page and try again.",
            );
        }
    };
    let set_pre = visitor
        .new_pre_token
        .then(|| cookie(pre_name, &visitor.pre_token, https, false));
    parts.extensions.insert(visitor);
    run_guarded(parts, body, next, set_pre).await
}

/// Why a form was refused before its handler ran.
pub(crate) enum Refusal {
    TooLarge,
    Forged,
}

/// The body of a POST, read within the form limit, when its `csrf` field is
/// `expected` (and the browser is not one seen for the first time without a
/// session: its sign-in form cannot have come from this site); other
/// methods pass untouched.
pub(crate) async fn checked_body(
    method: &Method,
    body: Body,
    expected: &str,
    first_visit: bool,
) -> Result<Body, Refusal> {
    if *method != Method::POST {
        return Ok(body);
    }
    let bytes = to_bytes(body, FORM_LIMIT)
        .await
        .map_err(|_| Refusal::TooLarge)?;
    if first_visit || !csrf_matches(&bytes, expected) {
        return Err(Refusal::Forged);
    }
    Ok(Body::from(bytes))
}

/// Runs the handler, then sets the new pre-session cookie (if any) and the
/// security headers on its answer.
pub(crate) async fn run_guarded(
    parts: Parts,
    body: Body,
    next: Next,
    set_pre: Option<HeaderValue>,
) -> Response {
    let mut response = next.run(Request::from_parts(parts, body)).await;
    if let Some(value) = set_pre {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    secure_headers(response.headers_mut());
    response
}

fn csrf_matches(form: &[u8], expected: &str) -> bool {
    form_urlencoded::parse(form)
        .find(|(key, _)| key == "csrf")
        .is_some_and(|(_, value)| bool::from(value.as_bytes().ct_eq(expected.as_bytes())))
}

fn refused(status: StatusCode, message: &str) -> Response {
    let mut response = super::page::error_page(status, "Not accepted", message, None);
    secure_headers(response.headers_mut());
    response
}

pub fn secure_headers(headers: &mut HeaderMap) {
    let pairs = [
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_FRAME_OPTIONS, "DENY"),
    ];
    for (name, value) in pairs {
        headers.insert(name, HeaderValue::from_static(value));
    }
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
}

/// A fully signed-in administrator; anyone else is sent to sign in.
pub struct Staff(pub Live);

impl FromRequestParts<AppState> for Staff {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Response> {
        let live = parts
            .extensions
            .get::<Visitor>()
            .and_then(|v| v.live.clone());
        match live {
            Some(live) if live.session.stage == Stage::SignedIn => Ok(Staff(live)),
            Some(live) if live.session.stage == Stage::Enrol => {
                Err(Redirect::to("/admin/enrol").into_response())
            }
            Some(_) => Err(Redirect::to("/admin/login/code").into_response()),
            None => Err(Redirect::to(&visitor_login(parts)).into_response()),
        }
    }
}

/// The sign-in page, saying why the session ended when it did.
fn visitor_login(parts: &Parts) -> String {
    let closed = parts.extensions.get::<Visitor>().and_then(|v| v.closed);
    login_path(closed)
}

pub fn login_path(closed: Option<Closed>) -> String {
    match closed {
        Some(closed) => format!("/admin/login?ended={}", closed.as_str()),
        None => "/admin/login".to_string(),
    }
}

impl FromRequestParts<AppState> for Visitor {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Response> {
        parts
            .extensions
            .get::<Visitor>()
            .cloned()
            .ok_or_else(|| StatusCode::INTERNAL_SERVER_ERROR.into_response())
    }
}

impl Staff {
    /// Helpdesk and admins change users; auditors only read.
    pub fn may_edit_users(&self) -> bool {
        self.0.admin.role != Role::Auditor
    }
}

/// A signed-in administrator who may change users (admin, helpdesk); an
/// auditor gets 403.
pub struct Editor(pub Staff);

impl FromRequestParts<AppState> for Editor {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let staff = Staff::from_request_parts(parts, state).await?;
        match staff.may_edit_users() {
            true => Ok(Editor(staff)),
            false => Err(forbidden()),
        }
    }
}

/// A signed-in administrator with the `admin` role (settings, API keys,
/// RADIUS clients); helpdesk and auditors get 403.
pub struct Owner(pub Staff);

impl FromRequestParts<AppState> for Owner {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let staff = Staff::from_request_parts(parts, state).await?;
        match staff.0.admin.role {
            Role::Admin => Ok(Owner(staff)),
            _ => Err(forbidden()),
        }
    }
}

fn forbidden() -> Response {
    super::page::error_page(
        StatusCode::FORBIDDEN,
        "Not allowed",
        "Your role does not allow this. Ask an administrator with the admin role.",
        None,
    )
}

/// Audits an administrator's action; a failure to audit is logged, not shown.
pub async fn audit(
    state: &impl AsRef<ConsoleState>,
    staff: &Staff,
    visitor: &Visitor,
    action: &str,
    target: &str,
) {
    let address = visitor.address.clone();
    if let Err(e) = state
        .as_ref()
        .sessions
        .record_action(&staff.0, action, target, address)
        .await
    {
        tracing::error!(error = %e, action, "console action could not be audited");
    }
}
