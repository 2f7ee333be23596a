//! The HTTP doors of Countersign: the application API under `/api/v1`,
//! `/healthz` and `/metrics`. Handlers are thin: they parse, call the
//! domain, and shape the answer.

mod activations;
mod audit;
pub mod console;
mod device;
mod diagnostics;
mod directory;
mod error;
mod extract;
mod inbound;
mod messages;
mod openapi;
mod openapi_errors;
mod pool;
pub mod portal;
pub mod proxy;
pub mod push_hub;
mod sessions;
mod settings;
mod signals;
mod system;
mod tokens;
mod transactions;
mod user_import;
mod users;
mod verify;
mod views;
pub mod webapp;

use std::sync::Arc;
use std::time::Instant;

use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use axum::Router;
use countersign_domain::{Accounts, ApiKeys, Store, Verifier};

pub use activations::{activation_uri, app_url};
pub use device::events::{open_events, Frame, Requests};
pub use error::ApiError;
pub use openapi::openapi_json;

/// Everything the handlers need, built once at start and shared: axum
/// clones the state for every extractor of every request, so a clone is one
/// reference count, not a copy of every service (that was ~12% of the
/// server's CPU per verification).
#[derive(Clone)]
pub struct AppState(Arc<Services>);

impl AppState {
    pub fn new(services: Services) -> AppState {
        AppState(Arc::new(services))
    }
}

impl std::ops::Deref for AppState {
    type Target = Services;

    fn deref(&self) -> &Services {
        &self.0
    }
}

/// What [`AppState`] shares.
pub struct Services {
    pub accounts: Accounts,
    pub verifier: Verifier,
    /// The sign-in engine every door goes through.
    pub signin: countersign_domain::SignIn,
    pub api_keys: ApiKeys,
    pub store: Arc<dyn Store>,
    pub issuer: String,
    pub started: Instant,
    /// Which peers may forward the client's address.
    pub proxy: Arc<proxy::ProxyPolicy>,
    /// Metrics of other doors (RADIUS), appended to `/metrics`.
    pub metrics: Vec<Arc<dyn countersign_domain::metrics::MetricsSource>>,
    /// Push approval, and this node's live device streams and waiters.
    pub push: countersign_domain::methods::push::Push,
    pub hub: Arc<push_hub::Hub>,
    /// Web Push to the web app, when `[web_push] enabled`.
    pub web_push: Option<countersign_domain::methods::webpush::WebPush>,
    /// Where users and devices reach this server (activation URLs).
    pub public_url: Option<String>,
    /// SHA-256 pin of the served certificate's key, when serving TLS.
    pub tls_pin: Option<String>,
    /// The message outbox, codes by SMS and email, welcome emails.
    pub outbox: countersign_domain::methods::outbox::Outbox,
    pub codes: countersign_domain::methods::codes::Codes,
    pub welcome: countersign_domain::sync::welcome::Welcome,
    /// The shared secret the SMS gateway sends with replies.
    pub inbound_secret: Option<String>,
    /// The checks of `countersign doctor`.
    pub diagnostics: Arc<dyn countersign_domain::ports::diagnostics::Diagnostics>,
    /// Console administrators; the sessions of administrators and users.
    pub admins: countersign_domain::admin::admins::Admins,
    pub sessions: countersign_domain::sessions::Sessions,
    /// The user portal's rules and its pages (templates, words).
    pub portal: countersign_domain::portal::Portal,
    pub portal_pages: Arc<portal::Pages>,
    /// Runs a directory sync now, when a directory is configured (`[directory] url`).
    pub directory_sync: Option<Arc<dyn countersign_domain::ports::SyncTrigger>>,
    /// The policy kept in the store (console settings page, `/api/v1/settings`).
    pub settings: countersign_domain::admin::settings::SettingsService,
    /// The dashboard's last `doctor` run (checks probe the network: not on every view).
    pub doctor_cache: Arc<console::DoctorCache>,
    /// RADIUS clients kept in the store.
    pub radius_clients: countersign_domain::admin::radius_clients::RadiusClients,
    /// Settings that stay in the configuration file, shown read-only.
    /// `(key, value, where the value came from)`.
    pub server_settings: Arc<Vec<(String, String, String)>>,
    /// Imported hardware tokens waiting for a user.
    pub pool: countersign_domain::admin::pool::TokenPool,
}

#[derive(Debug, Clone, Copy)]
pub struct WebOptions {
    /// Largest request body accepted, in bytes.
    pub body_limit: usize,
}

pub fn router(state: AppState, options: WebOptions) -> Router {
    let api = Router::new()
        .route("/users", post(users::create).get(users::list))
        .route("/users/import", user_import::route())
        .route(
            "/users/{username}",
            get(users::show).patch(users::update).delete(users::remove),
        )
        .route("/users/{username}/unlock", post(users::unlock))
        .route(
            "/users/{username}/bypass",
            post(users::grant_bypass).delete(users::revoke_bypass),
        )
        .route(
            "/users/{username}/pin",
            axum::routing::put(users::set_pin).delete(users::clear_pin),
        )
        .route(
            "/users/{username}/tokens",
            post(tokens::create).get(tokens::list),
        )
        .route("/users/{username}/tokens/{id}", delete(tokens::remove))
        .route("/tokens", get(pool::list))
        .route("/tokens/import", pool::import_route())
        .route("/tokens/{serial}/unassign", post(pool::unassign))
        .route("/users/{username}/tokens/{id}/resync", post(tokens::resync))
        .route("/users/{username}/activations", post(activations::create))
        .route("/users/{username}/devices", get(activations::list_devices))
        .route(
            "/users/{username}/devices/{id}",
            delete(activations::remove_device),
        )
        .route("/messages", get(messages::list))
        .route("/sms/inbound", get(inbound::inbound).post(inbound::inbound))
        .route("/messages/{id}/retry", post(messages::retry))
        .route("/verify", post(verify::verify))
        .route("/transactions/{id}", get(transactions::show))
        .route("/audit", get(audit::list))
        .route("/settings", get(settings::show).patch(settings::update))
        .route("/directory/status", get(directory::status))
        .route("/diagnostics", get(diagnostics::report))
        .route("/openapi.json", get(system::openapi));
    Router::new()
        .merge(console::router(state.clone()))
        .merge(portal::router(state.clone()))
        .nest("/api/v1", api)
        .nest("/device/v1", device::router())
        .merge(webapp::router())
        .route("/healthz", get(system::healthz))
        .route("/metrics", get(system::metrics))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn(device::cors::cors))
        .layer(DefaultBodyLimit::max(options.body_limit))
        .layer(axum::middleware::from_fn(system::log_request))
        .with_state(state)
}

async fn not_found() -> ApiError {
    ApiError::not_found("no such endpoint: the API lives under /api/v1 (see /api/v1/openapi.json)")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this endpoint does not take that HTTP method (see /api/v1/openapi.json)",
    )
}
