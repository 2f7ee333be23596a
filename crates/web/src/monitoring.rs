//! Monitoring: `/healthz` (liveness and readiness) and `/metrics`
//! (Prometheus text), with [`MonitoringState`]: nothing else.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use countersign_domain::health::Health;
use countersign_domain::metrics::MetricsSource;
use countersign_domain::Verifier;
use serde_json::json;

use crate::state::{Door, Services};

pub type MonitoringState = Door<MonitoringServices>;

pub struct MonitoringServices {
    pub health: Health,
    pub started: Instant,
    /// The verification counters and latencies.
    pub verifier: Verifier,
    /// Metrics of other doors (RADIUS), appended to `/metrics`.
    pub metrics: Vec<Arc<dyn MetricsSource>>,
}

impl From<&Services> for MonitoringServices {
    fn from(s: &Services) -> Self {
        Self {
            health: s.health.clone(),
            started: s.started,
            verifier: s.verifier.clone(),
            metrics: s.metrics.clone(),
        }
    }
}

/// Liveness and readiness: answers 200 when the database answers.
pub async fn healthz(State(state): State<MonitoringState>) -> Response {
    let database = match state.health.database_answers().await {
        true => "ok",
        false => "unavailable",
    };
    let status = if database == "ok" { 200 } else { 503 };
    let body = json!({
        "status": if database == "ok" { "ok" } else { "degraded" },
        "version": env!("CARGO_PKG_VERSION"),
        "database": state.health.backend(),
        "database_status": database,
        "uptime_seconds": state.started.elapsed().as_secs(),
    });
    (StatusCode::from_u16(status).unwrap_or_default(), Json(body)).into_response()
}

/// Prometheus text exposition.
pub async fn metrics(State(state): State<MonitoringState>) -> Response {
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
