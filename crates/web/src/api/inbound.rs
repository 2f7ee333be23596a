//! `GET|POST /api/v1/sms/inbound?from=..&text=..`: replies from the SMS
//! gateway (Kannel's sms-service get-url), for two-way SMS. The secret comes
//! in the `X-Countersign-Secret` header; `secret=` in the query (where
//! proxies and access logs keep it) is still accepted, deprecated, logged.

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use countersign_domain::ports::PushNotifier;
use subtle::ConstantTimeEq;

use super::ApiState;
use crate::http::error::ApiError;

pub async fn inbound(
    State(state): State<ApiState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: String,
) -> Result<(StatusCode, String), ApiError> {
    // Kannel sends the parameters in the URL; a form body works too.
    let mut params: Vec<(String, String)> = url_pairs(query.as_deref().unwrap_or_default());
    params.extend(url_pairs(&body));
    let get = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let Some(expected) = &state.inbound_secret else {
        return Err(ApiError::not_found(
            "inbound SMS is off: set sms.inbound_secret and point the gateway at this URL",
        ));
    };
    let header = headers
        .get(SECRET_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let given = match (header, get("secret")) {
        (Some(header), _) => header,
        (None, Some(query)) => {
            tracing::warn!("inbound SMS: the secret came in the URL (secret=), where proxies and access logs keep it; \
                send it in the X-Countersign-Secret header instead (the URL form is deprecated)");
            query
        }
        (None, None) => String::new(),
    };
    if !bool::from(expected.as_bytes().ct_eq(given.as_bytes())) {
        return Err(ApiError::unauthorized("the inbound SMS secret is wrong or missing: the gateway must send the header X-Countersign-Secret: <sms.inbound_secret>"));
    }
    let (Some(from), Some(text)) = (get("from"), get("text")) else {
        return Err(ApiError::bad_request(
            "bad_query",
            "give from (the sender's number) and text",
        ));
    };
    if let Some(id) = state.codes.inbound(&from, &text).await? {
        state.hub.decided(&id).await;
    }
    // An empty answer: the gateway sends nothing back to the phone.
    Ok((StatusCode::OK, String::new()))
}

/// The header the gateway sends the secret in.
pub const SECRET_HEADER: &str = "x-countersign-secret";

fn url_pairs(text: &str) -> Vec<(String, String)> {
    text.split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (decode(k), decode(v)))
        .collect()
}

/// Percent-decoding with `+` as space, as in query strings and forms;
/// byte-wise, so no input can split a character or panic.
fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%').then(|| {
            (
                bytes.get(i + 1).and_then(hex),
                bytes.get(i + 2).and_then(hex),
            )
        });
        match (bytes[i], escaped) {
            (_, Some((Some(high), Some(low)))) => {
                out.push(high * 16 + low);
                i += 3;
            }
            (b'+', _) => {
                out.push(b' ');
                i += 1;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(b: &u8) -> Option<u8> {
    char::from(*b).to_digit(16).map(|d| d as u8)
}

#[cfg(test)]
mod tests {
    #[test]
    fn query_strings_decode() {
        let pairs = super::url_pairs("from=%2B441632960123&text=1234+ok&x=%zz&y=%4");
        assert_eq!(pairs[0], ("from".into(), "+441632960123".into()));
        assert_eq!(pairs[1], ("text".into(), "1234 ok".into()));
        assert_eq!(pairs[2].1, "%zz");
        assert_eq!(pairs[3].1, "%4");
    }
}
