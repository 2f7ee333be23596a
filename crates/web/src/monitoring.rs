//! Monitoring: `/healthz` (liveness and readiness) and `/metrics`
//! (Prometheus text), with [`MonitoringState`]: nothing else.

use std::sync::Arc;
use std::time::{Duration, Instant};

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
