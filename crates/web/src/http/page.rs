//! What the browser doors (console, portal) share about answering with a
//! page: the route layout under their prefix, and a rendered template or a
//! plain 500 when the template fails.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::MethodRouter;
use axum::Router;

use crate::AppState;

/// A door's pages nested under `prefix` (`/admin`, `/portal`). Nested, `/`
/// is `prefix` only, so `home` answers `prefix/` too. The caller puts the
/// door's session guard around the result (outside the nest, so the guard
/// sees the full path).
pub fn nest_door(
    prefix: &'static str,
    pages: Router<AppState>,
    home: MethodRouter<AppState>,
) -> Router<AppState> {
    Router::new()
        .nest(prefix, pages)
        .route(&format!("{prefix}/"), home)
}

/// The rendered page, or a plain 500 (logged with the door's name) when
/// the template failed.
pub fn page_or_error(
    door: &str,
    status: StatusCode,
    name: &str,
    rendered: Result<String, minijinja::Error>,
) -> Response {
    match rendered {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(template = name, error = %e, door, "page failed to render");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                Html("<!doctype html><title>Error</title><p>The page failed to render; the server log says why.</p>"),
            )
                .into_response()
        }
    }
}
