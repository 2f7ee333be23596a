//! Monitoring: `/healthz` (liveness and readiness) and `/metrics`
//! (Prometheus text), with [`MonitoringState`]: nothing else. `/metrics`
//! may ask for a bearer token (`metrics.token`) and may live on its own
//! listener (`metrics.listen`) instead of the main one.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use countersign_domain::health::Health;
use countersign_domain::metrics::MetricsSource;
use countersign_domain::Verifier;
use serde_json::json;
use subtle::ConstantTimeEq;

use crate::state::{Door, Services};

pub type MonitoringState = Door<MonitoringServices>;

pub struct MonitoringServices {
    pub health: Health,
    pub started: Instant,
    /// The verification counters and latencies.
    pub verifier: Verifier,
    /// Metrics of other doors (RADIUS), appended to `/metrics`.
    pub metrics: Vec<Arc<dyn MetricsSource>>,
    pub access: MetricsAccess,
}

/// Who may read `/metrics`, and where.
#[derive(Debug, Clone, Default)]
pub struct MetricsAccess {
    /// `metrics.token`: scrapers send `Authorization: Bearer <token>`.
    pub token: Option<String>,
    /// `metrics.listen` is set: the main listener does not serve `/metrics`.
    pub own_listener: bool,
}

impl MetricsAccess {
    /// The token is not needed, or `headers` carry it.
    fn admits(&self, headers: &HeaderMap) -> bool {
        let Some(token) = &self.token else {
            return true;
        };
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .unwrap_or("");
        bool::from(given.trim().as_bytes().ct_eq(token.as_bytes()))
    }
}

impl From<&Services> for MonitoringServices {
    fn from(s: &Services) -> Self {
        Self {
            health: s.health.clone(),
            started: s.started,
            verifier: s.verifier.clone(),
            metrics: s.metrics.clone(),
            access: s.metrics_access.clone(),
        }
    }
}

/// How long `/healthz` waits for the database: a load balancer's check
/// must get its answer (not ready) before its own timeout, even while
/// connecting to the database hangs.
const PROBE_DEADLINE: Duration = Duration::from_secs(2);

/// Liveness and readiness: answers 200 when the database answers and, with
/// several nodes, this node hears the others; else 503 with what is wrong.
pub async fn healthz(State(state): State<MonitoringState>) -> Response {
    let answers = tokio::time::timeout(PROBE_DEADLINE, state.health.database_answers()).await;
    let database = match answers {
        Ok(true) => "ok",
        Ok(false) => "unavailable",
        Err(_) => "timeout",
    };
    let hearing = state.health.hears_other_nodes();
    let ready = database == "ok" && hearing != Some(false);
    let mut body = json!({
        "status": if ready { "ok" } else { "degraded" },
        "version": env!("CARGO_PKG_VERSION"),
        "database": state.health.backend(),
        "database_status": database,
        "uptime_seconds": state.started.elapsed().as_secs(),
    });
    if let Some(hearing) = hearing {
        body["other_nodes"] = json!(if hearing { "listening" } else { "interrupted" });
    }
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body)).into_response()
}

/// `/metrics` on the main listener: not there when it has its own listener.
pub async fn metrics(State(state): State<MonitoringState>, headers: HeaderMap) -> Response {
    if state.access.own_listener {
        return crate::http::not_found().await.into_response();
    }
    metrics_on_own_listener(State(state), headers).await
}

/// `/metrics` where it is served: the token checked, then the text.
pub async fn metrics_on_own_listener(
    State(state): State<MonitoringState>,
    headers: HeaderMap,
) -> Response {
    if !state.access.admits(&headers) {
        tracing::debug!("GET /metrics refused: missing or wrong bearer token");
        let body = json!({"error": {"code": "unauthorized",
            "message": "/metrics needs the bearer token set in metrics.token: \
                        configure the scraper's authorization credentials"}});
        let challenge = [(header::WWW_AUTHENTICATE, "Bearer realm=\"metrics\"")];
        return (StatusCode::UNAUTHORIZED, challenge, Json(body)).into_response();
    }
    exposition(&state)
}

/// Prometheus text exposition.
fn exposition(state: &MonitoringState) -> Response {
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
