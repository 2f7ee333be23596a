//! `/voice/v1/calls/{id}/...`: the HTTP voice provider's callbacks
//! (docs/decisions/0006). The provider fetches the call's TwiML and prompt
//! and posts the keys and the call's status; `countersign_voice::http::Webhooks`
//! checks each signature and settles the call. The signed URL is rebuilt
//! from `public_url` (the address the provider was given), never from the
//! request's Host or forwarded headers.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use countersign_voice::http::{form, Hook, Webhooks};

/// What the routes need: the calls in flight and the public URL.
#[derive(Clone)]
pub struct VoiceDoor {
    pub hooks: Webhooks,
    /// `public_url`, as the provider was given it.
    pub public_url: String,
}

/// The routes, ready to merge; empty without a provider.
pub fn router<S: Clone + Send + Sync + 'static>(door: Option<VoiceDoor>) -> Router<S> {
    let Some(door) = door else {
        return Router::new();
    };
    Router::new()
        .route("/voice/v1/calls/{id}/prompt.wav", get(prompt))
        .route("/voice/v1/calls/{id}/{hook}", post(callback))
        .layer(axum::extract::DefaultBodyLimit::max(form::MAX_BODY))
        .with_state(door)
}

/// The URL the provider requested: `public_url` without its trailing `/`,
/// then the path and query as they came.
pub fn signed_url(public_url: &str, uri: &Uri) -> String {
    let base = public_url.trim_end_matches('/');
    let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    // public_url may carry a path prefix the proxy strips: keep it once.
    let prefix = url_path(base);
    if !prefix.is_empty() && path.starts_with(prefix) {
        let origin = &base[..base.len() - prefix.len()];
        return format!("{origin}{path}");
    }
    format!("{base}{path}")
}

/// The path part of an absolute URL (`https://h/x` → `/x`).
fn url_path(url: &str) -> &str {
    let after_scheme = url.find("://").map(|i| i + 3).unwrap_or(0);
    match url[after_scheme..].find('/') {
        Some(i) => &url[after_scheme + i..],
        None => "",
    }
}

async fn callback(
    State(door): State<VoiceDoor>,
    Path((id, hook)): Path<(String, String)>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(hook) = Hook::from_segment(&hook) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let signature = headers
        .get("x-twilio-signature")
        .and_then(|v| v.to_str().ok());
    let url = signed_url(&door.public_url, &uri);
    let answer = door.hooks.handle(hook, &id, &url, &body, signature);
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        status,
        [(header::CONTENT_TYPE, answer.content_type)],
        answer.body,
    )
        .into_response()
}

async fn prompt(State(door): State<VoiceDoor>, Path(id): Path<String>) -> Response {
    match door.hooks.prompt_wav(&id) {
        Some(wav) => ([(header::CONTENT_TYPE, "audio/wav")], wav).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signed_url_comes_from_public_url() {
        let uri: Uri = "/voice/v1/calls/ab/status?x=1".parse().expect("uri");
        assert_eq!(
            signed_url("https://mfa.example/", &uri),
            "https://mfa.example/voice/v1/calls/ab/status?x=1"
        );
        // Behind a proxy that keeps the prefix in the path it forwards.
        let prefixed: Uri = "/mfa/voice/v1/calls/ab/status".parse().expect("uri");
        assert_eq!(
            signed_url("https://example.org/mfa/", &prefixed),
            "https://example.org/mfa/voice/v1/calls/ab/status"
        );
        // ... and one that strips it.
        assert_eq!(
            signed_url("https://example.org/mfa", &uri),
            "https://example.org/mfa/voice/v1/calls/ab/status?x=1"
        );
    }
}
