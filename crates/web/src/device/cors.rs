//! CORS for `/device/v1`: the web app may be served by one Countersign
//! server and hold accounts of others, so any origin may call the device
//! API. Nothing rides on cookies (requests are signed), so no credentials
//! are allowed and `*` is safe.

use axum::extract::Request;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

const METHODS: &str = "GET, POST, PUT, DELETE";
const HEADERS: &str = "content-type, x-countersign-device, x-countersign-timestamp, \
    x-countersign-nonce, x-countersign-signature";

/// Applied to the whole router (after its method fallback is set, which
/// would otherwise answer a preflight with 405); acts on `/device/v1` only.
pub async fn cors(request: Request, next: Next) -> Response {
    if !request.uri().path().starts_with("/device/v1/") {
        return next.run(request).await;
    }
    let preflight = request.method() == Method::OPTIONS
        && request
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    let mut response = if preflight {
        let mut answer = StatusCode::NO_CONTENT.into_response();
        let headers = answer.headers_mut();
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static(METHODS),
        );
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static(HEADERS),
        );
        headers.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static("600"),
        );
        answer
    } else {
        next.run(request).await
    };
    response.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    response
}

#[cfg(test)]
mod tests {
    #[test]
    fn allows_every_signed_header() {
        for name in countersign_device_proto::SIGNED_HEADERS {
            assert!(super::HEADERS.contains(name), "{name}");
        }
    }
}
