//! The user self-service portal under `/portal`: server-rendered pages
//! (templates in `templates/portal/`, words in `templates/portal/i18n/`),
//! one stylesheet, no JavaScript. Every request passes
//! [`guard::portal_guard`] (session, CSRF, security headers, language);
//! every sign-in goes through the engine; the rules are the domain's
//! (`countersign_domain::portal`).

mod account;
mod enrol;
mod guard;
mod home;
mod pages;
mod signin;
mod test_method;

use axum::middleware::from_fn_with_state;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;

use crate::AppState;

pub use pages::{Lang, Pages};

pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/portal", get(home::show))
        .route("/portal/", get(home::show))
        .route("/portal/login", get(signin::form).post(signin::submit))
        .route(
            "/portal/link/{token}",
            get(signin::link_page).post(signin::link_submit),
        )
        .route(
            "/portal/verify",
            get(signin::verify_page).post(signin::verify_submit),
        )
        .route("/portal/verify/method", post(signin::switch_method))
        .route("/portal/logout", post(signin::logout))
        .route("/portal/enrol", get(enrol::landing))
        .route(
            "/portal/totp",
            get(enrol::totp_page).post(enrol::totp_submit),
        )
        .route("/portal/app", get(enrol::app_page).post(enrol::app_start))
        .route("/portal/method", post(home::set_method))
        .route("/portal/{thing}/{id}/remove", post(home::remove))
        .route("/portal/{thing}/{id}/rename", post(home::rename))
        .route("/portal/activity/{id}/report", post(home::report))
        .route(
            "/portal/secret/{kind}",
            get(account::secret_page).post(account::secret_submit),
        )
        .route(
            "/portal/{kind}",
            get(account::contact_page).post(account::contact_submit),
        )
        .route("/portal/{kind}/confirm", post(account::contact_confirm))
        .route(
            "/portal/test",
            get(test_method::page).post(test_method::start),
        )
        .route("/portal/test/code", post(test_method::submit))
        .route("/portal/assets/portal.css", get(css))
        .layer(from_fn_with_state(state, guard::portal_guard))
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
