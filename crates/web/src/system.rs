//! Health, metrics, the OpenAPI document and request logging.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use countersign_domain::metrics::MetricsSource;

use crate::AppState;

/// Liveness and readiness: answers 200 when the database answers.
pub async fn healthz(State(state): State<AppState>) -> Response {
    let database = match state.store.get_meta("key_check").await {
        Ok(_) => "ok",
        Err(_) => "unavailable",
    };
    let status = if database == "ok" { 200 } else { 503 };
    let body = json!({
        "status": if database == "ok" { "ok" } else { "degraded" },
        "version": env!("CARGO_PKG_VERSION"),
        "database": state.store.backend(),
        "database_status": database,
        "uptime_seconds": state.started.elapsed().as_secs(),
    });
    (
        axum::http::StatusCode::from_u16(status).unwrap_or_default(),
        Json(body),
    )
        .into_response()
}

/// Prometheus text exposition.
pub async fn metrics(State(state): State<AppState>) -> Response {
    let mut text = String::new();
    text.push_str("# HELP countersign_up The server is running.\n# TYPE countersign_up gauge\ncountersign_up 1\n");
    text.push_str(&format!(
        "# HELP countersign_build_info Version of the running server.\n# TYPE countersign_build_info gauge\ncountersign_build_info{{version=\"{}\"}} 1\n",
        env!("CARGO_PKG_VERSION")
    ));
    state.verifier.metrics().render(&mut text);
    for source in &state.metrics {
        source.render(&mut text);
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
        .into_response()
}

pub async fn openapi() -> Json<Value> {
    Json(crate::openapi::openapi_json())
}

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
