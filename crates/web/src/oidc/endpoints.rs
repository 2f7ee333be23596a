//! Discovery, JWKS, token and userinfo: JSON answers. Token answers and
//! errors carry `Cache-Control: no-store` (RFC 6749 §5.1).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use countersign_domain::oidc::{form, OAuthError, Refusal, TokenRequest};
use serde_json::json;

use super::OidcState;
use crate::http::extract::ClientAddr;

pub async fn discovery(State(state): State<OidcState>) -> Response {
    cached(Json(state.provider.discovery()).into_response())
}

pub async fn jwks(State(state): State<OidcState>) -> Response {
    match state.provider.jwks().await {
        Ok(keys) => cached(Json(keys).into_response()),
        Err(refusal) => oauth_error(&refusal, false),
    }
}

fn cached(mut response: Response) -> Response {
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    response
}

fn no_store(mut response: Response) -> Response {
    let h = response.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

/// `{"error", "error_description"}` with the status RFC 6749 §5.2 asks for.
pub(super) fn oauth_error(refusal: &Refusal, basic: bool) -> Response {
    let status = match refusal.error {
        OAuthError::InvalidClient => StatusCode::UNAUTHORIZED,
        OAuthError::ServerError => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::BAD_REQUEST,
    };
    let body = json!({"error": refusal.error.code(), "error_description": refusal.description});
    let mut response = no_store((status, Json(body)).into_response());
    if status == StatusCode::UNAUTHORIZED && basic {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"countersign\""),
        );
    }
    response
}

pub async fn token(
    State(state): State<OidcState>,
    addr: ClientAddr,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(';').next().is_some_and(|t| {
                t.trim()
                    .eq_ignore_ascii_case("application/x-www-form-urlencoded")
            })
        });
    if !form_type {
        let refusal = Refusal::new(
            OAuthError::InvalidRequest,
            "the body must be application/x-www-form-urlencoded",
        );
        return oauth_error(&refusal, false);
    }
    let params = match form::parse_params(&body) {
        Ok(p) => p,
        Err(name) if name.is_empty() => {
            return oauth_error(
                &Refusal::new(OAuthError::InvalidRequest, "the body is not form data"),
                false,
            )
        }
        Err(name) => {
            return oauth_error(
                &Refusal::new(
                    OAuthError::InvalidRequest,
                    format!(
                        "'{}' is given more than once",
                        name.chars().take(40).collect::<String>()
                    ),
                ),
                false,
            )
        }
    };
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let basic = authorization.and_then(form::basic_credentials);
    if authorization.is_some() && basic.is_none() {
        return oauth_error(
            &Refusal::new(OAuthError::InvalidClient, "client authentication failed"),
            true,
        );
    }
    let used_basic = basic.is_some();
    let request = TokenRequest {
        params,
        basic,
        address: addr.0.map(|ip| ip.to_string()),
    };
    match state.provider.token(request).await {
        Ok(answer) => no_store(Json(answer).into_response()),
        Err(refusal) => oauth_error(&refusal, used_basic),
    }
}

/// RFC 6750: the Bearer token from the header (or a form body's `access_token`).
pub async fn userinfo(State(state): State<OidcState>, headers: HeaderMap, body: Bytes) -> Response {
    let from_header = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim().to_string());
    let from_body = form::parse_params(&body)
        .ok()
        .and_then(|p| form::get(&p, "access_token").map(str::to_string));
    let Some(token) = from_header.or(from_body) else {
        return unauthorized(
            "Bearer realm=\"countersign\"",
            json!({"error": "invalid_request", "error_description": "no access token"}),
        );
    };
    match state.provider.userinfo(&token).await {
        Ok(claims) => no_store(Json(claims).into_response()),
        Err(r) if r.error == OAuthError::InvalidToken => unauthorized(
            "Bearer realm=\"countersign\", error=\"invalid_token\", error_description=\"the access token is invalid, expired or revoked\"",
            json!({"error": "invalid_token", "error_description": r.description}),
        ),
        Err(r) => oauth_error(&r, false),
    }
}

fn unauthorized(challenge: &'static str, body: serde_json::Value) -> Response {
    let mut response = no_store((StatusCode::UNAUTHORIZED, Json(body)).into_response());
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static(challenge),
    );
    response
}
