//! What every request to a door with sessions passes through: the session
//! cookie is read once, every POST must carry the right `csrf` field (else
//! 403), and every answer gets the security headers (strict CSP, no
//! framing, no caching).

use axum::body::{to_bytes, Body};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use countersign_domain::model::ids::random_text;
use countersign_domain::DomainError;
use subtle::ConstantTimeEq;

use super::{sessions, Jar, SessionDoor, Visit};
use crate::http::extract::ClientAddr;
use crate::AppState;

/// The largest form accepted.
const FORM_LIMIT: usize = 64 * 1024;

const CSP: &str = "default-src 'self'; frame-ancestors 'none'; form-action 'self'; \
    base-uri 'none'; object-src 'none'; img-src 'self' data:";

/// Why a form was refused before its handler ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    TooLarge,
    Forged,
}

impl Refusal {
    pub fn status(self) -> StatusCode {
        match self {
            Refusal::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Refusal::Forged => StatusCode::FORBIDDEN,
        }
    }
}

/// The middleware of door `K`: finds the visit, checks the form, runs the
/// handler with the [`Visit`] in the request, and finishes the answer.
pub async fn guard<K: SessionDoor>(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let (mut parts, body) = request.into_parts();
    let visit = match visit::<K>(&state, &mut parts).await {
        Ok(visit) => visit,
        Err(e) => return finished::<K>(K::failure(&state, &parts.headers, e)),
    };
    // A browser seen for the first time without a session cannot have got
    // the sign-in form from this site.
    let first_visit = visit.new_pre_token && visit.live.is_none();
    let body = match checked_body(&parts.method, body, &visit.csrf(&state), first_visit).await {
        Ok(body) => body,
        Err(why) => {
            if why == Refusal::Forged {
                tracing::warn!(door = K::PLACES.name, path = %parts.uri.path(),
                    address = visit.address.as_deref().unwrap_or(""),
                    "form refused: missing or wrong csrf field");
            }
            return finished::<K>(K::refused(&state, &parts.headers, why));
        }
    };
    let pre_name = K::PLACES.cookies(visit.https, visit.domain.is_some()).1;
    let pre_jar = Jar {
        https: visit.https,
        domain: None,
    };
    let set_pre = visit
        .new_pre_token
        .then(|| K::PLACES.cookie(pre_name, &visit.pre_token, pre_jar, false));
    parts.extensions.insert(visit);
    let mut response = next.run(Request::from_parts(parts, body)).await;
    if let Some(value) = set_pre {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    finished::<K>(response)
}

/// Who is asking: the session of the cookie (or why it is over), the
/// pre-session cookie (a new one when there is none) and the address.
async fn visit<K: SessionDoor>(
    state: &AppState,
    parts: &mut Parts,
) -> Result<Visit<K>, DomainError> {
    let https = state.transport.https;
    let domain = K::cookie_domain(state);
    let (session_name, pre_name) = K::PLACES.cookies(https, domain.is_some());
    let address = match ClientAddr::from_request_parts(parts, state).await {
        Ok(ClientAddr(ip)) => ip.map(|ip| ip.to_string()),
        Err(never) => match never {},
    };
    let (live, closed) = match read_cookie(&parts.headers, session_name) {
        Some(token) => match sessions::<K>(state).find(token).await? {
            Ok(live) => (Some(live), None),
            Err(closed) => (None, Some(closed)),
        },
        None => (None, None),
    };
    let existing_pre = read_cookie(&parts.headers, pre_name).map(str::to_string);
    Ok(Visit {
        live,
        closed,
        new_pre_token: existing_pre.is_none(),
        pre_token: existing_pre.unwrap_or_else(|| random_text(32)),
        address,
        https,
        domain,
        remembered: super::remembered::presented(&parts.headers, https),
        user_agent: super::remembered::user_agent(&parts.headers),
    })
}

/// The value of cookie `name` among the request's cookies.
pub fn read_cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
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

/// The body of a POST, read within the form limit, when its `csrf` field is
/// `expected` (and it is not a browser's first visit); other methods pass
/// untouched.
async fn checked_body(
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

fn csrf_matches(form: &[u8], expected: &str) -> bool {
    form_urlencoded::parse(form)
        .find(|(key, _)| key == "csrf")
        .is_some_and(|(_, value)| bool::from(value.as_bytes().ct_eq(expected.as_bytes())))
}

fn finished<K: SessionDoor>(mut response: Response) -> Response {
    secure_headers(response.headers_mut());
    K::finish(response.headers_mut());
    response
}

fn secure_headers(headers: &mut HeaderMap) {
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
