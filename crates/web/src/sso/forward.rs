//! Forward auth for reverse proxies, asked on every proxied request:
//!
//! - `GET /sso/auth/forward`, the Traefik and Caddy convention: the
//!   original request in `X-Forwarded-Method`, `-Proto`, `-Host`, `-Uri`;
//!   without a session 302 to the sign-in page with the original URL in
//!   `rd` for GET/HEAD/OPTIONS, 303 for other methods, and 401 (with the
//!   same `Location`) when the request is XHR or its `Accept` lacks
//!   `text/html` (an API client cannot follow a sign-in page).
//! - `GET /sso/auth/request`, nginx's `auth_request`: the original request
//!   in `X-Original-URL` and `X-Original-Method`; without a session 401
//!   with `Location` (nginx turns any redirect status into a 500; its
//!   `error_page 401 =302 $redirection_url` sends the browser on).
//!
//! Signed in: 200 with `Remote-User`, `Remote-Name`, `Remote-Email` and
//! `Remote-Groups`, always all four (empty when unknown: Caddy 2.6 sends
//! a placeholder's literal text for a missing one). A host that requires
//! groups (`[[sso.hosts]]`) the user is in none of: 403. These headers
//! are the proxy's (each proxy sets or overwrites them, see
//! docs/sso.md); a client that calls this endpoint itself learns only
//! what its own cookie opens, and `rd` built from them is checked like
//! every `rd`. The decision is the domain's ([`countersign_domain::sso::Sso::forward`]).

use axum::extract::State;
use axum::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use countersign_domain::sso::{CachedLogin, ForwardCheck, Verdict};

use super::redirect::allowed_rd;
use super::{session_cookie_name, sign_in_location};
use crate::http::extract::ClientAddr;
use crate::sessions::{read_cookie, SSO};
use crate::AppState;

/// How the proxy tells a refusal to the browser.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Convention {
    /// Traefik, Caddy: redirect statuses reach the browser.
    Forward,
    /// nginx: only 2xx, 401 and 403 are allowed.
    Request,
}

/// The proxied request: its URL and method, as the proxy reported them.
struct Original {
    url: Option<String>,
    host: String,
    method: String,
}

pub async fn traefik(
    State(state): State<AppState>,
    ClientAddr(address): ClientAddr,
    headers: HeaderMap,
) -> Response {
    let text = |name: &str| header_text(&headers, name);
    let host = text("x-forwarded-host").unwrap_or_default();
    let proto = text("x-forwarded-proto").unwrap_or_else(|| "https".into());
    let uri = text("x-forwarded-uri").unwrap_or_else(|| "/".into());
    let url = (!host.is_empty() && uri.starts_with('/')).then(|| format!("{proto}://{host}{uri}"));
    let original = Original {
        url,
        host,
        method: text("x-forwarded-method").unwrap_or_else(|| "GET".into()),
    };
    answer(&state, &headers, address, original, Convention::Forward).await
}

pub async fn nginx(
    State(state): State<AppState>,
    ClientAddr(address): ClientAddr,
    headers: HeaderMap,
) -> Response {
    let url = header_text(&headers, "x-original-url");
    let host = url.as_deref().map(host_of_url).unwrap_or_default();
    let original = Original {
        url,
        host,
        method: header_text(&headers, "x-original-method").unwrap_or_else(|| "GET".into()),
    };
    answer(&state, &headers, address, original, Convention::Request).await
}

async fn answer(
    state: &AppState,
    headers: &HeaderMap,
    address: Option<std::net::IpAddr>,
    original: Original,
    convention: Convention,
) -> Response {
    let address = address.map(|ip| ip.to_string());
    let check = ForwardCheck {
        token: read_cookie(headers, session_cookie_name(state)),
        host: &original.host,
        address: address.as_deref(),
    };
    match state.sso.forward(check).await {
        Ok(Verdict::Allowed(login)) => allowed(&login),
        Ok(Verdict::Forbidden(_)) => (StatusCode::FORBIDDEN, "Forbidden\n").into_response(),
        Ok(Verdict::SignIn) => sign_in(state, headers, &original, convention),
        Err(e) => {
            tracing::error!(error = %e, "forward auth could not read the session");
            (StatusCode::SERVICE_UNAVAILABLE, "Unavailable\n").into_response()
        }
    }
}

/// 200 with the four `Remote-*` headers, empty when unknown.
fn allowed(login: &CachedLogin) -> Response {
    let mut response = StatusCode::OK.into_response();
    let out = response.headers_mut();
    let groups = login.groups.join(",");
    let fields: [(&'static str, &str); 4] = [
        ("remote-user", &login.username),
        ("remote-name", &login.display_name),
        ("remote-email", &login.email),
        ("remote-groups", &groups),
    ];
    for (name, value) in fields {
        let value = HeaderValue::from_str(value).unwrap_or_else(|_| HeaderValue::from_static(""));
        out.insert(HeaderName::from_static(name), value);
    }
    out.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Not signed in: where the browser signs in, as the proxy needs it.
fn sign_in(
    state: &AppState,
    headers: &HeaderMap,
    original: &Original,
    convention: Convention,
) -> Response {
    let public = state.sso.policy().public_url.trim_end_matches('/');
    let path = match allowed_rd(state, original.url.as_deref()) {
        Some(rd) => sign_in_location(&rd, false),
        None => SSO.login.to_string(),
    };
    let location = format!("{public}{path}");
    let status = match convention {
        Convention::Request => StatusCode::UNAUTHORIZED,
        Convention::Forward if !wants_page(headers) => StatusCode::UNAUTHORIZED,
        Convention::Forward => match original.method.to_ascii_uppercase().as_str() {
            "GET" | "HEAD" | "OPTIONS" => StatusCode::FOUND,
            _ => StatusCode::SEE_OTHER,
        },
    };
    let mut response = (status, "Sign in first\n").into_response();
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Whether the browser's request wants a page (not XHR, `Accept` has text/html).
fn wants_page(headers: &HeaderMap) -> bool {
    let xhr = header_text(headers, "x-requested-with")
        .is_some_and(|v| v.eq_ignore_ascii_case("xmlhttprequest"));
    let html = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.to_ascii_lowercase().contains("text/html"));
    !xhr && html
}

fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
}

/// `host[:port]` of an absolute URL.
fn host_of_url(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    authority
        .rsplit_once('@')
        .map_or(authority, |(_, a)| a)
        .to_string()
}
