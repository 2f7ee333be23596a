//! The rate limits in front of every guessable door: before a handler
//! does any work, one try is taken from the client's bucket and the
//! door's (`countersign_domain::throttle`); a refusal is answered here at
//! once, 429 with `Retry-After`. Which requests are which door is this
//! one table ([`door_of`]), so the route tables stay as they are.

use std::time::Duration;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use countersign_domain::throttle::{address_key, Door, Refused};
use countersign_domain::DomainError;

use super::error::ApiError;
use crate::AppState;

/// The door a request knocks at, if it is a guessable one.
pub fn door_of(method: &Method, path: &str) -> Option<Door> {
    let post = method == Method::POST;
    let path = path.trim_end_matches('/');
    match path {
        // /sso checks the same passwords as the portal: one bucket for both.
        "/portal/login" | "/sso" if post => Some(Door::PortalSignIn),
        "/admin/login" if post => Some(Door::ConsoleSignIn),
        "/device/v1/activate" if post => Some(Door::Activation),
        "/api/v1/verify" if post => Some(Door::Verify),
        "/portal/phone" | "/portal/email" if post => Some(Door::ContactChange),
        "/portal/phone/confirm" | "/portal/email/confirm" if post => Some(Door::ContactChange),
        _ if path.starts_with("/portal/link/") => Some(Door::SignInLink),
        _ => None,
    }
}

/// The bucket key: the API key's public prefix for `/api/v1/verify` (any
/// client address may share a key), else the client's address.
fn key_of(door: Door, request: &Request, state: &AppState) -> String {
    if door == Door::Verify {
        let prefix = request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|h| h.get(7..))
            .and_then(|token| token.trim().strip_prefix("cs_"))
            .and_then(|rest| rest.split_once('_'))
            .map(|(prefix, _)| prefix);
        if let Some(prefix) = prefix {
            return format!("key:{prefix}");
        }
    }
    let peer = request
        .extensions()
        .get::<ConnectInfo<super::proxy::PeerAddr>>()
        .map(|c| c.0 .0.ip());
    address_key(peer.map(|ip| state.proxy.client_ip(ip, request.headers())))
}

/// The middleware: admits the try or answers 429.
pub async fn limit(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(door) = door_of(request.method(), request.uri().path()) else {
        return next.run(request).await;
    };
    let key = key_of(door, &request, &state);
    match state.throttle.admit(door, &key) {
        Ok(()) => next.run(request).await,
        Err(refused) => {
            // The refused client waits (a sleep, no worker held): its
            // connection cannot turn refusals into thousands of answers a second.
            let pause = Duration::from_millis(state.throttle.limits().refusal_delay_ms)
                .min(Duration::from_secs(refused.retry_after_seconds));
            if !pause.is_zero() {
                tokio::time::sleep(pause).await;
            }
            too_many(&refused)
        }
    }
}

fn too_many(refused: &Refused) -> Response {
    let mut response = match refused.door {
        Door::Verify | Door::Activation => ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            refused.message(),
        )
        .into_response(),
        _ => (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            refused.message(),
        )
            .into_response(),
    };
    retry_after(&mut response, refused.retry_after_seconds);
    response
}

/// Sets `Retry-After` (whole seconds).
pub fn retry_after(response: &mut Response, seconds: u64) {
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(seconds.max(1)));
}

/// The answer to [`DomainError::Busy`] (the work pool is full) on a page
/// door, or `None` for any other error.
pub fn busy_page(e: &DomainError) -> Option<Response> {
    let DomainError::Busy {
        retry_after_seconds,
        ..
    } = e
    else {
        return None;
    };
    let mut response = (
        StatusCode::TOO_MANY_REQUESTS,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!("The server is busy; try again in {retry_after_seconds} second(s)."),
    )
        .into_response();
    retry_after(&mut response, *retry_after_seconds);
    Some(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guessable_doors_are_known_by_method_and_path() {
        let post = Method::POST;
        assert_eq!(door_of(&post, "/portal/login"), Some(Door::PortalSignIn));
        assert_eq!(door_of(&Method::GET, "/portal/login"), None);
        assert_eq!(door_of(&post, "/admin/login/"), Some(Door::ConsoleSignIn));
        assert_eq!(
            door_of(&Method::GET, "/portal/link/abc"),
            Some(Door::SignInLink)
        );
        assert_eq!(
            door_of(&post, "/device/v1/activate"),
            Some(Door::Activation)
        );
        assert_eq!(door_of(&post, "/api/v1/verify"), Some(Door::Verify));
        assert_eq!(
            door_of(&post, "/portal/phone/confirm"),
            Some(Door::ContactChange)
        );
        assert_eq!(door_of(&post, "/portal/verify"), None);
        assert_eq!(door_of(&post, "/api/v1/users"), None);
    }
}
