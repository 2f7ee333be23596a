//! `/device/v1`: the service authenticators talk to (docs/device-api.md).
//! Handlers take [`DeviceState`]: push, the live streams, Web Push.

mod activate;
pub(crate) mod cors;
pub mod events;
mod requests;
mod signed;
mod webpush;

use std::sync::Arc;

use axum::routing::{get, post, put};
use axum::Router;
use countersign_domain::methods::push::Push;
use countersign_domain::methods::webpush::WebPush;

use crate::push_hub::Hub;
use crate::state::{Door, Services};
use crate::AppState;

/// The device API's state: one `Arc`, cloned per extractor.
pub type DeviceState = Door<DeviceServices>;

pub struct DeviceServices {
    pub push: Push,
    /// This node's event streams.
    pub hub: Arc<Hub>,
    /// Web Push to the web app, when `[web_push] enabled`.
    pub web_push: Option<WebPush>,
}

impl From<&Services> for DeviceServices {
    fn from(s: &Services) -> Self {
        Self {
            push: s.push.clone(),
            hub: s.hub.clone(),
            web_push: s.web_push.clone(),
        }
    }
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/activate", post(activate::activate))
        .route("/events", get(events::events))
        .route("/requests", get(requests::list))
        .route("/requests/{id}/answer", post(requests::answer))
        .route(
            "/webpush",
            put(webpush::subscribe).delete(webpush::unsubscribe),
        )
}
