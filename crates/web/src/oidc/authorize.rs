//! `GET /sso/authorize`: the authorization request. Unknown clients and
//! unregistered redirect URIs get an error page (never a redirect); other
//! errors go back to the client (RFC 6749 §4.1.2.1) with `state` and `iss`
//! (RFC 9207). Without a fitting `/sso` sign-in the browser is sent to
//! the sign-in page, which brings it back here with a marker: a sign-in
//! made after the marker is fresh, so `prompt=login`, `max_age` and
//! `acr_values` ask for one sign-in, never a loop.

use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use countersign_domain::oidc::form::{self, get};
use countersign_domain::oidc::{authorize, AuthorizeError, OidcProvider, Refusal, SignedIn};

use super::page::error_page;
use crate::sso::{current_login, sign_in_location};
use crate::AppState;

/// The query parameter that carries "signed in after" through the sign-in.
pub const MARKER: &str = "cs_signed_in_after";

pub async fn authorize(
    State(app): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let provider = &app.oidc;
    let query = query.unwrap_or_default();
    let Ok(params) = form::parse_params(query.as_bytes()) else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "The request is malformed (a parameter is given twice or is not UTF-8).",
        );
    };
    let client = match get(&params, "client_id") {
        Some(id) => match provider.clients.find(id).await {
            Ok(c) => c,
            Err(_) => {
                return error_page(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "The server cannot read its applications right now; try again.",
                )
            }
        },
        None => None,
    };
    let req = match authorize::check(&params, client) {
        Ok(req) => req,
        Err(AuthorizeError::NoRedirect(words)) => {
            tracing::info!(reason = %words, "OpenID authorization request refused (not redirected)");
            return error_page(StatusCode::BAD_REQUEST, &words);
        }
        Err(AuthorizeError::Redirect {
            redirect_uri,
            state,
            refusal,
        }) => return back(provider, &redirect_uri, state.as_deref(), Err(&refusal)),
    };
    let after = get(&params, MARKER).and_then(|v| v.parse::<i64>().ok());
    let login = current_login(&app, &headers).await;
    let now = provider.now();
    let login = match login {
        Some(l) if !req.needs_fresh(l.auth_time, now, after) => l,
        other => {
            if req.prompt_none {
                let refusal = Refusal::new(
                    countersign_domain::oidc::OAuthError::LoginRequired,
                    "the user must sign in",
                );
                return back(
                    provider,
                    &req.redirect_uri,
                    req.state.as_deref(),
                    Err(&refusal),
                );
            }
            let again: Vec<String> = params
                .iter()
                .filter(|(k, _)| k != MARKER)
                .map(|(k, v)| format!("{}={}", form::encode(k), form::encode(v)))
                .collect();
            let rd = format!(
                "{}/sso/authorize?{}&{MARKER}={now}",
                provider.issuer(),
                again.join("&")
            );
            return found(&sign_in_location(&rd, other.is_some()));
        }
    };
    let signed = SignedIn {
        user: login.user,
        session_hash: Some(login.session_hash),
        auth_time: login.auth_time,
        methods: login.methods,
        passkey: login.passkey,
    };
    match provider.issue_code(&req, &signed).await {
        Ok(code) => back(provider, &req.redirect_uri, req.state.as_deref(), Ok(&code)),
        Err(refusal) => back(
            provider,
            &req.redirect_uri,
            req.state.as_deref(),
            Err(&refusal),
        ),
    }
}

/// The redirect to the client: `code` or `error`, then `state`, then `iss`.
fn back(
    provider: &OidcProvider,
    redirect_uri: &str,
    state: Option<&str>,
    answer: Result<&str, &Refusal>,
) -> Response {
    let mut query = match answer {
        Ok(code) => format!("code={}", form::encode(code)),
        Err(r) => format!(
            "error={}&error_description={}",
            r.error.code(),
            form::encode(&r.description)
        ),
    };
    if let Some(state) = state {
        query.push_str(&format!("&state={}", form::encode(state)));
    }
    query.push_str(&format!("&iss={}", form::encode(provider.issuer())));
    let sep = if redirect_uri.contains('?') { '&' } else { '?' };
    found(&format!("{redirect_uri}{sep}{query}"))
}

pub(super) fn found(location: &str) -> Response {
    let mut response = StatusCode::FOUND.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
