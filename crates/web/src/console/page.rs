//! Rendering console pages: templates compiled into the binary, escaped
//! for HTML, one shared layout.

use std::sync::OnceLock;

use axum::http::StatusCode;
use axum::response::Response;

use crate::http::page::page_or_error;
use countersign_domain::DomainError;
use minijinja::{context, Environment, Value};

use super::guard::Visitor;
use super::ConsoleState;

const TEMPLATES: &[(&str, &str)] = &[
    (
        "base.html",
        include_str!("../../templates/console/base.html"),
    ),
    (
        "login.html",
        include_str!("../../templates/console/login.html"),
    ),
    (
        "passkeys.html",
        include_str!("../../templates/console/passkeys.html"),
    ),
    (
        "code.html",
        include_str!("../../templates/console/code.html"),
    ),
    (
        "error.html",
        include_str!("../../templates/console/error.html"),
    ),
    (
        "dashboard.html",
        include_str!("../../templates/console/dashboard.html"),
    ),
    (
        "users.html",
        include_str!("../../templates/console/users.html"),
    ),
    (
        "users_table.html",
        include_str!("../../templates/console/users_table.html"),
    ),
    (
        "user.html",
        include_str!("../../templates/console/user.html"),
    ),
    (
        "user_form.html",
        include_str!("../../templates/console/user_form.html"),
    ),
    (
        "shown_once.html",
        include_str!("../../templates/console/shown_once.html"),
    ),
    (
        "audit.html",
        include_str!("../../templates/console/audit.html"),
    ),
    (
        "keys.html",
        include_str!("../../templates/console/keys.html"),
    ),
    (
        "groups.html",
        include_str!("../../templates/console/groups.html"),
    ),
    (
        "group.html",
        include_str!("../../templates/console/group.html"),
    ),
    (
        "clients.html",
        include_str!("../../templates/console/clients.html"),
    ),
    (
        "rules.html",
        include_str!("../../templates/console/rules.html"),
    ),
    (
        "rule_form.html",
        include_str!("../../templates/console/rule_form.html"),
    ),
    (
        "rule_edit.html",
        include_str!("../../templates/console/rule_edit.html"),
    ),
    (
        "rule_test.html",
        include_str!("../../templates/console/rule_test.html"),
    ),
    ("job.html", include_str!("../../templates/console/job.html")),
    (
        "client_form.html",
        include_str!("../../templates/console/client_form.html"),
    ),
    (
        "client_edit.html",
        include_str!("../../templates/console/client_edit.html"),
    ),
    (
        "oidc_clients.html",
        include_str!("../../templates/console/oidc_clients.html"),
    ),
    (
        "oidc_client_form.html",
        include_str!("../../templates/console/oidc_client_form.html"),
    ),
    (
        "oidc_client_edit.html",
        include_str!("../../templates/console/oidc_client_edit.html"),
    ),
    (
        "oidc_secret.html",
        include_str!("../../templates/console/oidc_secret.html"),
    ),
    (
        "welcome.html",
        include_str!("../../templates/console/welcome.html"),
    ),
    (
        "messages.html",
        include_str!("../../templates/console/messages.html"),
    ),
    (
        "test_signin.html",
        include_str!("../../templates/console/test_signin.html"),
    ),
    (
        "test_outcome.html",
        include_str!("../../templates/console/test_outcome.html"),
    ),
    (
        "diagnostics.html",
        include_str!("../../templates/console/diagnostics.html"),
    ),
    (
        "settings.html",
        include_str!("../../templates/console/settings.html"),
    ),
    (
        "key_created.html",
        include_str!("../../templates/console/key_created.html"),
    ),
    (
        "audit_table.html",
        include_str!("../../templates/console/audit_table.html"),
    ),
];

fn environment() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        for (name, source) in TEMPLATES {
            // The templates are part of the binary; a broken one fails the tests.
            if let Err(e) = env.add_template(name, source) {
                tracing::error!(template = name, error = %e, "console template does not parse");
            }
        }
        env
    })
}

/// Renders `name` with `ctx`; a template error is logged and answered 500.
pub fn render(status: StatusCode, name: &str, ctx: Value) -> Response {
    let rendered = environment().get_template(name).and_then(|t| t.render(ctx));
    page_or_error("console", status, name, rendered)
}

/// The context every page of a signed-in visitor has: who, their csrf, the nav.
pub fn base(state: &impl AsRef<ConsoleState>, visitor: &Visitor, nav: &str) -> Value {
    let me = visitor.live.as_ref().map(|live| {
        context! { name => live.subject.name.clone(), role => live.subject.role.as_str() }
    });
    let passkeys_on = state.as_ref().passkeys.is_some();
    context! { me => me, csrf => visitor.csrf(state.as_ref()), nav => nav, passkeys_on => passkeys_on }
}

pub fn error_page(status: StatusCode, title: &str, message: &str, back: Option<&str>) -> Response {
    render(
        status,
        "error.html",
        context! { title => title, message => message, back => back },
    )
}

/// A domain failure on a page: what went wrong in words, with the right status.
pub fn failure(e: DomainError) -> Response {
    if let Some(busy) = crate::http::throttle::busy_page(&e) {
        return busy;
    }
    let (status, title) = match &e {
        DomainError::NotFound { .. } => (StatusCode::NOT_FOUND, "Not found"),
        DomainError::Invalid { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "Not accepted"),
        DomainError::Conflict(_) => (StatusCode::CONFLICT, "Already exists"),
        _ => (StatusCode::SERVICE_UNAVAILABLE, "Server problem"),
    };
    if status == StatusCode::SERVICE_UNAVAILABLE {
        tracing::error!(error = %e, "console request failed");
        return error_page(
            status,
            title,
            "The server could not complete this (database or encryption key). The server log has details; try again.",
            None,
        );
    }
    error_page(status, title, &e.to_string(), None)
}

/// A time as the console shows it: `2026-12-03 07:15:42 UTC`.
pub fn when(unix: i64) -> String {
    countersign_domain::ports::clock::rfc3339(unix)
        .replacen('T', " ", 1)
        .replace('Z', " UTC")
}
