//! The remembered-browser cookie, the same for every browser door (the
//! portal, /sso): read by the guard and passed in the [`Visit`], set after
//! the user asked for it, removed when they forget the browser. The door
//! hands the value to the engine in the `Attempt`; it never decides.

use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use countersign_domain::sessions::REMEMBERED_COOKIE;

use super::{SessionDoor, Visit};

/// The cookie's name: `__Host-` over HTTPS.
fn name(https: bool) -> String {
    match https {
        true => format!("__Host-{REMEMBERED_COOKIE}"),
        false => REMEMBERED_COOKIE.to_string(),
    }
}

/// The cookie's value as presented, if any.
pub(super) fn presented(headers: &HeaderMap, https: bool) -> Option<String> {
    super::guard::read_cookie(headers, &name(https)).map(str::to_string)
}

/// The browser's User-Agent, for the remembered browser's label.
pub(super) fn user_agent(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.chars().take(512).collect())
}

/// `Set-Cookie` for the token (kept `days`), or removing it. Lax, not
/// Strict: a sign-in that arrives from another site (an OpenID client's
/// redirect to /sso) must carry it.
fn cookie(https: bool, token: Option<(&str, u32)>) -> HeaderValue {
    let secure = if https { "; Secure" } else { "" };
    let (value, age) = match token {
        Some((token, days)) => (token, u64::from(days) * 86_400),
        None => ("", 0),
    };
    let text = format!(
        "{}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={age}{secure}",
        name(https)
    );
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

impl<K: SessionDoor> Visit<K> {
    /// Sets the remembered-browser cookie (`Some((token, days))`) or
    /// removes it (`None`) on `answer`.
    pub fn with_remembered(
        &self,
        token: Option<(&str, u32)>,
        answer: impl IntoResponse,
    ) -> Response {
        let mut response = answer.into_response();
        let value = cookie(self.https, token);
        response.headers_mut().append(header::SET_COOKIE, value);
        response
    }
}
