//! `/device/v1`: the service authenticators talk to (docs/device-api.md).

mod activate;
pub(crate) mod cors;
pub mod events;
mod requests;
mod signed;
mod webpush;

use axum::routing::{get, post};
use axum::Router;

use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/activate", post(activate::activate))
        .route("/events", get(events::events))
        .route("/requests", get(requests::list))
        .route("/requests/{id}/answer", post(requests::answer))
        .route(
            "/webpush",
            axum::routing::put(webpush::subscribe).delete(webpush::unsubscribe),
        )
}
