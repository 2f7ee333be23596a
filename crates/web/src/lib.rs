//! The HTTP doors of Countersign, each with its own state (see `state.rs`):
//! the application API under `/api/v1`, the device API under
//! `/device/v1`, the admin console under `/admin`, the user portal under
//! `/portal`, the web app under `/app`, and `/healthz` and `/metrics`.
//! Handlers are thin: they parse, call the domain, and shape the answer.
//! What they all stand on is in `http`.

mod api;
pub mod console;
mod device;
mod http;
mod monitoring;
pub mod portal;
pub mod push_hub;
mod sessions;
pub mod sso;
mod state;
pub mod voice;
pub mod webapp;

use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use axum::Router;

pub use api::audit_export::{csv_line as audit_csv_line, CSV_HEADER as AUDIT_CSV_HEADER};
pub use api::{ApiServices, ApiState};
pub use console::{ConsoleServices, ConsoleState};
pub use countersign_domain::methods::push::activation::{activation_uri, app_url};
pub use device::events::{open_events, Frame, Requests};
pub use device::{DeviceServices, DeviceState};
pub use http::error::ApiError;
pub use http::openapi::openapi_json;
pub use http::proxy;
pub use http::transport::Transport;
pub use http::views::AuditView;
pub use monitoring::{MetricsAccess, MonitoringServices, MonitoringState};
pub use portal::{PortalServices, PortalState};
pub use state::{AppState, Door, Services};

/// `/metrics` alone, for its own listener (`metrics.listen`).
pub fn metrics_router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(monitoring::metrics_on_own_listener))
        .fallback(http::not_found)
        .with_state(state)
}

#[derive(Debug, Clone, Copy)]
pub struct WebOptions {
    /// Largest request body accepted, in bytes.
    pub body_limit: usize,
}

pub fn router(state: AppState, options: WebOptions) -> Router {
    let hsts = state.transport.hsts();
    Router::new()
        .merge(console::router(state.clone()))
        .merge(portal::router(state.clone()))
        .merge(sso::router(state.clone()))
        .nest("/api/v1", api::router())
        .nest("/device/v1", device::router())
        .merge(webapp::router())
        .merge(voice::router(state.voice.clone()))
        .route("/healthz", get(monitoring::healthz))
        .route("/metrics", get(monitoring::metrics))
        .fallback(http::not_found)
        .method_not_allowed_fallback(http::method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            http::throttle::limit,
        ))
        .layer(axum::middleware::from_fn(device::cors::cors))
        .layer(DefaultBodyLimit::max(options.body_limit))
        .layer(axum::middleware::from_fn(http::log_request))
        .layer(axum::middleware::map_response(move |r| {
            std::future::ready(http::transport::with_hsts(r, hsts.as_ref()))
        }))
        .with_state(state)
}
