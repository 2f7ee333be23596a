//! `/app`: the authenticator as an installable web app (PWA). The files
//! under `crates/web/assets/app/` are compiled into the binary; they are
//! served with their content type, a strict Content-Security-Policy and no
//! third-party origin (docs/authenticator-app.md).

mod assets;

use axum::extract::Path;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;

use crate::http::error::ApiError;
use crate::AppState;

/// Scripts, styles, workers and the manifest from this origin only. The
/// app may hold accounts of other Countersign servers, so it may connect
/// to any https origin (and to http on the loopback, for tests and
/// development); nothing can frame it.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
    connect-src 'self' https: http://127.0.0.1:* http://localhost:*; worker-src 'self'; manifest-src 'self'; \
    object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/app", get(index))
        .route("/app/", get(|| async { Redirect::permanent("../app") }))
        .route("/app/{file}", get(asset))
}

async fn index() -> Response {
    serve(&assets::INDEX)
}

async fn asset(Path(file): Path<String>) -> Response {
    match assets::find(&file) {
        Some(asset) => serve(asset),
        None => ApiError::not_found(format!(
            "the web app has no file '{file}': open /app to start it"
        ))
        .into_response(),
    }
}

fn serve(asset: &assets::Asset) -> Response {
    let mut response = (StatusCode::OK, asset.body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(asset.content_type),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    // Revalidated each time: the service worker keeps the offline copy.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if asset.name == "sw.js" {
        // The worker lives in /app/ but controls /app itself.
        headers.insert("service-worker-allowed", HeaderValue::from_static("../app"));
    }
    response
}
