//! The admin console under `/admin`: server-rendered pages (templates in
//! `templates/console/`, compiled in), one stylesheet, a little optional
//! JavaScript. Every request passes [`guard::console_guard`] (session,
//! CSRF, security headers); every sign-in goes through the engine.

mod audit;
mod bulk;
mod clients;
mod dashboard;
pub(crate) mod guard;
mod keys;
mod login;
mod ops;
mod page;
mod settings;
mod test_signin;
mod users;
mod welcome;

use axum::http::header;
use axum::middleware::from_fn_with_state;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;

use crate::AppState;

pub use dashboard::{chart_svg, DoctorCache};
pub use page::when;

pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/admin", get(dashboard::show))
        .route("/admin/", get(dashboard::show))
        .route("/admin/login", get(login::form).post(login::submit))
        .route(
            "/admin/login/code",
            get(login::code_form).post(login::code_submit),
        )
        .route(
            "/admin/enrol",
            get(login::enrol_form).post(login::enrol_submit),
        )
        .route("/admin/logout", post(login::logout))
        .route("/admin/logout-everywhere", post(login::logout_everywhere))
        .route("/admin/users", get(users::list))
        .route("/admin/users/new", get(users::new_form).post(users::create))
        .route("/admin/users/bulk", post(bulk::start))
        .route("/admin/jobs/{id}", get(bulk::show))
        .route("/admin/users/{username}", get(users::show))
        .route(
            "/admin/users/{username}/edit",
            get(users::edit_form).post(users::edit),
        )
        .route("/admin/users/{username}/unlock", post(users::unlock))
        .route("/admin/users/{username}/enable", post(users::enable))
        .route("/admin/users/{username}/disable", post(users::disable))
        .route("/admin/users/{username}/bypass", post(users::bypass))
        .route("/admin/users/{username}/delete", post(users::delete))
        .route("/admin/users/{username}/test", post(test_signin::start))
        .route(
            "/admin/users/{username}/welcome",
            get(welcome::preview).post(welcome::send),
        )
        .route(
            "/admin/users/{username}/test/{transaction}",
            get(test_signin::poll),
        )
        .route("/admin/users/{username}/tokens", post(users::add_totp))
        .route(
            "/admin/users/{username}/enrol-link",
            post(users::enrol_link),
        )
        .route(
            "/admin/users/{username}/activation",
            post(users::activation),
        )
        .route("/admin/keys", get(keys::list).post(keys::create))
        .route("/admin/keys/{name}/revoke", post(keys::revoke))
        .route("/admin/messages", get(ops::messages))
        .route("/admin/messages/{id}/retry", post(ops::retry))
        .route("/admin/diagnostics", get(ops::diagnostics))
        .route("/admin/clients", get(clients::list).post(clients::add))
        .route("/admin/clients/{name}/remove", post(clients::remove))
        .route(
            "/admin/clients/{name}/edit",
            get(clients::edit_form).post(clients::edit),
        )
        .route("/admin/settings", get(settings::show).post(settings::save))
        .route("/admin/settings/welcome-test", post(settings::welcome_test))
        .route("/admin/directory/sync", post(settings::directory_sync))
        .route("/admin/audit", get(audit::list))
        .route("/admin/audit.csv", get(audit::csv))
        .route("/admin/assets/console.css", get(css))
        .route("/admin/assets/console.js", get(js))
        .layer(from_fn_with_state(state, guard::console_guard))
}

async fn css() -> impl IntoResponse {
    asset(
        "text/css; charset=utf-8",
        include_str!("../../assets/console/console.css"),
    )
}

async fn js() -> impl IntoResponse {
    asset(
        "text/javascript; charset=utf-8",
        include_str!("../../assets/console/console.js"),
    )
}

fn asset(content_type: &'static str, body: &'static str) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
}
