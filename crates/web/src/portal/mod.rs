//! The user self-service portal under `/portal`: server-rendered pages
//! (templates in `templates/portal/`, words in `templates/portal/i18n/`),
//! one stylesheet, and one script for the passkey ceremonies
//! (`assets/portal/passkeys.js`; every other page works without it). Every request passes
//! [`guard::portal_guard`] (session, CSRF, security headers, language);
//! every sign-in goes through the engine; the rules are the domain's
//! (`countersign_domain::portal`). The pages take [`PortalState`]: the
//! services of this door only.

mod account;
mod browsers;
mod enrol;
mod guard;
mod home;
mod pages;
pub(crate) mod passkeys;
mod signin;
mod state;
mod test_method;

use axum::middleware::from_fn_with_state;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;

use crate::http::page::nest_door;
use crate::AppState;

pub use pages::{Lang, Pages};
pub use signin::{underway_of, AssertionForm};
pub use state::{PortalServices, PortalState};

pub fn router(state: AppState) -> Router<AppState> {
    nest_door("/portal", pages(), get(home::show))
        .layer(from_fn_with_state(state, guard::portal_guard))
}

/// The portal's route table, under `/portal`.
fn pages() -> Router<AppState> {
    Router::new()
        .route("/", get(home::show))
        .route("/login", get(signin::form).post(signin::submit))
        .route(
            "/link/{token}",
            get(signin::link_page).post(signin::link_submit),
        )
        .route(
            "/verify",
            get(signin::verify_page).post(signin::verify_submit),
        )
        .route("/verify/method", post(signin::switch_method))
        .route("/passkey/begin", post(signin::passkey_begin))
        .route("/passkey", post(signin::passkey_submit))
        .route("/passkeys", get(passkeys::page).post(passkeys::add))
        .route("/passkeys/begin", post(passkeys::begin))
        .route("/passkeys/{id}/rename", post(passkeys::rename))
        .route("/passkeys/{id}/remove", post(passkeys::remove))
        .route("/logout", post(signin::logout))
        .route("/remember", get(browsers::offer).post(browsers::answer))
        .route("/browsers", get(browsers::page))
        .route("/browsers/{id}/forget", post(browsers::forget))
        .route("/everywhere", post(browsers::everywhere))
        .route("/enrol", get(enrol::landing))
        .route("/totp", get(enrol::totp_page).post(enrol::totp_submit))
        .route("/app", get(enrol::app_page).post(enrol::app_start))
        .route("/method", post(home::set_method))
        .route("/{thing}/{id}/remove", post(home::remove))
        .route("/{thing}/{id}/rename", post(home::rename))
        .route("/activity/{id}/report", post(home::report))
        .route(
            "/secret/{kind}",
            get(account::secret_page).post(account::secret_submit),
        )
        .route(
            "/{kind}",
            get(account::contact_page).post(account::contact_submit),
        )
        .route("/{kind}/confirm", post(account::contact_confirm))
        .route("/test", get(test_method::page).post(test_method::start))
        .route("/test/code", post(test_method::submit))
        .route("/assets/portal.css", get(css))
        .route("/assets/passkeys.js", get(passkeys_js))
}

/// The passkey ceremonies' script, shared with the console (`/admin/assets/passkeys.js`).
pub async fn passkeys_js() -> impl IntoResponse {
    (
        [
            (
                axum::http::header::CONTENT_TYPE,
                "text/javascript; charset=utf-8",
            ),
            (axum::http::header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../assets/portal/passkeys.js"),
    )
}

async fn css() -> impl IntoResponse {
    (
        [
            (axum::http::header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (axum::http::header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../assets/portal/portal.css"),
    )
}
