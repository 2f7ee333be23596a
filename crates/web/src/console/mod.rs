//! The admin console under `/admin`: server-rendered pages (templates in
//! `templates/console/`, compiled in), one stylesheet, a little optional
//! JavaScript (`console.js`, and the passkey ceremonies' script shared with
//! the portal). Every request passes [`guard::console_guard`] (session,
//! CSRF, security headers); every sign-in goes through the engine. The
//! pages take [`ConsoleState`]: the services of this door only.

pub(crate) mod audit;
mod bulk;
mod clients;
mod dashboard;
mod groups;
pub(crate) mod guard;
mod keys;
mod login;
mod login_passkey;
mod oidc_clients;
mod ops;
mod page;
pub(crate) mod passkeys;
mod rule_tester;
mod rules;
mod settings;
mod state;
mod test_signin;
mod users;
mod welcome;

use axum::http::header;
use axum::middleware::from_fn_with_state;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;

use crate::http::page::nest_door;
use crate::AppState;

pub use dashboard::{chart_svg, DoctorCache};
pub use page::when;
pub use state::{ConsoleServices, ConsoleState};

pub fn router(state: AppState) -> Router<AppState> {
    nest_door("/admin", pages(), get(dashboard::show))
        .layer(from_fn_with_state(state, guard::console_guard))
}

/// The console's route table, under `/admin`.
fn pages() -> Router<AppState> {
    Router::new()
        .merge(oidc_clients::routes())
        .route("/", get(dashboard::show))
        .route("/login", get(login::form).post(login::submit))
        .route(
            "/login/code",
            get(login::code_form).post(login::code_submit),
        )
        .route("/login/passkey/begin", post(login_passkey::begin))
        .route("/login/passkey", post(login_passkey::submit))
        .route("/login/code/passkey/begin", post(login_passkey::code_begin))
        .route("/login/code/passkey", post(login_passkey::code_submit))
        .route("/passkeys", get(passkeys::own).post(passkeys::own_add))
        .route("/passkeys/begin", post(passkeys::own_begin))
        .route("/passkeys/{id}/remove", post(passkeys::own_remove))
        .route("/enrol", get(login::enrol_form).post(login::enrol_submit))
        .route("/logout", post(login::logout))
        .route("/logout-everywhere", post(login::logout_everywhere))
        .route("/users", get(users::list))
        .route("/users/new", get(users::new_form).post(users::create))
        .merge(groups::routes())
        .route("/users/bulk", post(bulk::start))
        .route("/jobs/{id}", get(bulk::show))
        .route("/users/{username}", get(users::show))
        .route(
            "/users/{username}/edit",
            get(users::edit_form).post(users::edit),
        )
        .route("/users/{username}/unlock", post(users::unlock))
        .route("/users/{username}/enable", post(users::enable))
        .route("/users/{username}/disable", post(users::disable))
        .route("/users/{username}/bypass", post(users::bypass))
        .route("/users/{username}/delete", post(users::delete))
        .route(
            "/users/{username}/browsers/{id}/forget",
            post(users::forget_browser),
        )
        .route("/users/{username}/test", post(test_signin::start))
        .route(
            "/users/{username}/welcome",
            get(welcome::preview).post(welcome::send),
        )
        .route(
            "/users/{username}/test/{transaction}",
            get(test_signin::poll),
        )
        .route("/users/{username}/tokens", post(users::add_totp))
        .route("/users/{username}/passkeys", post(passkeys::user_add))
        .route(
            "/users/{username}/passkeys/begin",
            post(passkeys::user_begin),
        )
        .route(
            "/users/{username}/passkeys/{id}/remove",
            post(passkeys::user_remove),
        )
        .route("/users/{username}/enrol-link", post(users::enrol_link))
        .route("/users/{username}/activation", post(users::activation))
        .route("/keys", get(keys::list).post(keys::create))
        .route("/keys/{name}/revoke", post(keys::revoke))
        .route("/messages", get(ops::messages))
        .route("/messages/{id}/retry", post(ops::retry))
        .route("/diagnostics", get(ops::diagnostics))
        .route("/clients", get(clients::list).post(clients::add))
        .route("/clients/{name}/remove", post(clients::remove))
        .route(
            "/clients/{name}/edit",
            get(clients::edit_form).post(clients::edit),
        )
        .merge(rules::routes())
        .route("/settings", get(settings::show).post(settings::save))
        .route("/settings/welcome-test", post(settings::welcome_test))
        .route("/directory/sync", post(settings::directory_sync))
        .route("/audit", get(audit::list))
        .route("/audit.csv", get(audit::csv))
        .route("/assets/console.css", get(css))
        .route("/assets/console.js", get(js))
        .route("/assets/passkeys.js", get(crate::portal::passkeys_js))
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
