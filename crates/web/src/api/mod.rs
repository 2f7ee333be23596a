//! The application API under `/api/v1`, one module per resource. Callers
//! authenticate with an API key (`AdminKey`, `VerifyKey`); every handler
//! takes [`ApiState`]: the services of this door only.

pub(crate) mod activations;
pub(crate) mod audit;
pub(crate) mod audit_export;
pub(crate) mod diagnostics;
pub(crate) mod directory;
pub(crate) mod groups;
pub(crate) mod inbound;
pub(crate) mod messages;
pub(crate) mod oidc_clients;
pub(crate) mod passkeys;
pub(crate) mod pool;
pub(crate) mod rules;
pub(crate) mod settings;
mod state;
pub(crate) mod tokens;
pub(crate) mod transactions;
pub(crate) mod user_import;
pub(crate) mod users;
pub(crate) mod verify;

use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use serde_json::Value;

use crate::AppState;

pub use state::{ApiServices, ApiState};

/// The `/api/v1` route table (nested there by [`crate::router`]).
pub fn router() -> Router<AppState> {
    Router::new()
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
            put(users::set_pin).delete(users::clear_pin),
        )
        .route(
            "/users/{username}/tokens",
            post(tokens::create).get(tokens::list),
        )
        .route("/users/{username}/tokens/{id}", delete(tokens::remove))
        .route(
            "/users/{username}/passkeys",
            post(passkeys::begin).get(passkeys::list),
        )
        .route(
            "/users/{username}/passkeys/{id}",
            post(passkeys::finish).delete(passkeys::remove),
        )
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
        .route("/audit/export", get(audit_export::export))
        .route("/settings", get(settings::show).patch(settings::update))
        .route("/rules", get(rules::list).post(rules::create))
        .route("/rules/test", post(rules::test))
        .route(
            "/rules/{name}",
            get(rules::show).put(rules::update).delete(rules::remove),
        )
        .route("/directory/status", get(directory::status))
        .route("/groups", post(groups::create).get(groups::list))
        .route("/groups/{name}", get(groups::show).delete(groups::remove))
        .route("/groups/{name}/members", post(groups::add_member))
        .route(
            "/groups/{name}/members/{username}",
            delete(groups::remove_member),
        )
        .route("/diagnostics", get(diagnostics::report))
        .route(
            "/oidc/clients",
            get(oidc_clients::list).post(oidc_clients::create),
        )
        .route(
            "/oidc/clients/{name}",
            get(oidc_clients::show)
                .patch(oidc_clients::update)
                .delete(oidc_clients::remove),
        )
        .route(
            "/oidc/clients/{name}/rotate-secret",
            post(oidc_clients::rotate_secret),
        )
        .route("/openapi.json", get(openapi))
}

async fn openapi() -> Json<Value> {
    Json(crate::http::openapi::openapi_json())
}
