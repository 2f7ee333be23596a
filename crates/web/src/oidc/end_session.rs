//! `/sso/end_session` (OpenID Connect RP-Initiated Logout 1.0): signs the
//! browser out of `/sso` (the SSO door's `sign_out`), ends the grants of
//! that session, and goes back to `post_logout_redirect_uri` only when it
//! is registered for the client the `id_token_hint` (or `client_id`) names.

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use countersign_domain::oidc::form::{self, get};

use super::authorize::found as redirect_to;
use super::page::error_page;
use crate::sso::{current_login, sign_out};
use crate::AppState;

pub async fn end_session(
    State(app): State<AppState>,
    method: Method,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let raw = match method {
        Method::POST => body.to_vec(),
        _ => query.unwrap_or_default().into_bytes(),
    };
    let Ok(params) = form::parse_params(&raw) else {
        return error_page(StatusCode::BAD_REQUEST, "The logout request is malformed.");
    };
    let provider = &app.oidc;
    let target = provider
        .logout_target(
            get(&params, "id_token_hint"),
            get(&params, "client_id"),
            get(&params, "post_logout_redirect_uri"),
        )
        .await;
    let target = match target {
        Ok(t) => t,
        Err(refusal) => return error_page(StatusCode::BAD_REQUEST, &refusal.description),
    };
    if let Some(login) = current_login(&app, &headers).await {
        if let Err(e) = provider.end_session(&login.session_hash).await {
            tracing::warn!(error = ?e, "OpenID grants of a session not ended");
        }
        tracing::info!(user = %login.user.username, "signed out through the OpenID end-session endpoint");
    }
    let cookies = sign_out(&app, &headers).await;
    let mut response = match target {
        Some(uri) => {
            let state = get(&params, "state").map(|s| format!("{}state={}", if uri.contains('?') { '&' } else { '?' }, form::encode(s)));
            redirect_to(&format!("{uri}{}", state.unwrap_or_default()))
        }
        None => (
            StatusCode::OK,
            Html("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>Signed out</title></head><body><main><h1>You are signed out</h1><p>You can close this window.</p></main></body></html>"),
        )
            .into_response(),
    };
    response.headers_mut().extend(cookies);
    response
}
