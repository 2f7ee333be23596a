//! What every door stands on: the API's error shape and extractors, the
//! client address behind proxies, the service address, HTTPS and HSTS, the OpenAPI
//! document, request logging and the answers for unknown paths.

pub mod address;
pub mod error;
pub(crate) mod export;
pub mod extract;
pub mod openapi;
mod openapi_errors;
pub mod page;
pub mod proxy;
pub mod throttle;
pub mod transport;
pub mod views;

use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;

use error::ApiError;

/// One structured log line per request: method, route, status, time. Never bodies.
pub async fn log_request(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".to_string());
    let response = next.run(request).await;
    tracing::debug!(%method, %route, status = response.status().as_u16(),
        micros = started.elapsed().as_micros() as u64, "http request");
    response
}

pub async fn not_found() -> ApiError {
    ApiError::not_found("no such endpoint: the API lives under /api/v1 (see /api/v1/openapi.json)")
}

pub async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this endpoint does not take that HTTP method (see /api/v1/openapi.json)",
    )
}
