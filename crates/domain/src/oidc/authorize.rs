//! The authorization request (OIDC Core 3.1.2.1, RFC 7636): checked in
//! the order RFC 6749 §4.1.2.1 asks. Until the client and its exact
//! redirect URI are known nothing is redirected: the browser gets an error
//! page. After that, errors go back to the client with `state` and `iss`.

use crate::model::oidc::StoredOidcClient;

use super::error::{OAuthError, Refusal};
use super::form::get;

/// Why an authorization request failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthorizeError {
    /// Unknown client or unregistered redirect URI: shown, never redirected.
    NoRedirect(String),
    /// Sent back to the client's redirect URI.
    Redirect {
        redirect_uri: String,
        state: Option<String>,
        refusal: Refusal,
    },
}

/// A checked authorization request.
#[derive(Debug, Clone)]
pub struct AuthorizeRequest {
    pub client: StoredOidcClient,
    pub redirect_uri: String,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub scope: Vec<String>,
    pub code_challenge: Option<String>,
    /// `prompt=login`, `max_age` exceeded or `acr_values`: a fresh sign-in.
    pub prompt_login: bool,
    /// `prompt=none`: never show a page; `login_required` instead.
    pub prompt_none: bool,
    pub max_age: Option<i64>,
    pub acr_values: Option<String>,
}

const MAX_VALUE: usize = 2048;

/// Checks the query of `/sso/authorize` against the client (`None`: unknown).
pub fn check(
    params: &[(String, String)],
    client: Option<StoredOidcClient>,
) -> Result<AuthorizeRequest, AuthorizeError> {
    let Some(client) = client else {
        return Err(AuthorizeError::NoRedirect(match get(params, "client_id") {
            None => "the request names no client (client_id)".into(),
            Some(_) => "this application is not registered here (unknown client_id)".into(),
        }));
    };
    let redirect_uri = match get(params, "redirect_uri") {
        Some(uri) if client.config.redirect_uris.iter().any(|r| r == uri) => uri.to_string(),
        Some(_) => {
            return Err(AuthorizeError::NoRedirect(
                "the redirect_uri is not registered for this application".into(),
            ))
        }
        None => {
            return Err(AuthorizeError::NoRedirect(
                "the request has no redirect_uri".into(),
            ))
        }
    };
    let state = get(params, "state").map(str::to_string);
    let fail = |error, words: &str| AuthorizeError::Redirect {
        redirect_uri: redirect_uri.clone(),
        state: state.clone(),
        refusal: Refusal::new(error, words),
    };
    if params.iter().any(|(_, v)| v.len() > MAX_VALUE) {
        return Err(fail(OAuthError::InvalidRequest, "a parameter is too long"));
    }
    if get(params, "request").is_some() || get(params, "request_uri").is_some() {
        return Err(fail(
            OAuthError::InvalidRequest,
            "request objects are not supported",
        ));
    }
    match get(params, "response_type") {
        Some("code") => {}
        Some(_) => {
            return Err(fail(
                OAuthError::UnsupportedResponseType,
                "only response_type=code (the code flow)",
            ))
        }
        None => return Err(fail(OAuthError::InvalidRequest, "response_type is missing")),
    }
    if get(params, "response_mode").is_some_and(|m| m != "query") {
        return Err(fail(OAuthError::InvalidRequest, "only response_mode=query"));
    }
    let asked: Vec<&str> = get(params, "scope")
        .unwrap_or("")
        .split(' ')
        .filter(|s| !s.is_empty())
        .collect();
    if !asked.contains(&"openid") {
        return Err(fail(
            OAuthError::InvalidScope,
            "the scope must include openid",
        ));
    }
    // Scopes the client was not given are left out (RFC 6749 §3.3).
    let scope: Vec<String> = client
        .config
        .scopes
        .iter()
        .filter(|s| asked.contains(&s.as_str()))
        .cloned()
        .collect();
    let code_challenge = match (
        get(params, "code_challenge"),
        get(params, "code_challenge_method"),
    ) {
        (Some(c), Some("S256")) if is_challenge(c) => Some(c.to_string()),
        (Some(_), Some("S256")) => {
            return Err(fail(
                OAuthError::InvalidRequest,
                "code_challenge must be 43 base64url characters",
            ))
        }
        (Some(_), _) => {
            return Err(fail(
                OAuthError::InvalidRequest,
                "code_challenge_method must be S256 (plain is refused)",
            ))
        }
        (None, Some(_)) => {
            return Err(fail(
                OAuthError::InvalidRequest,
                "code_challenge_method without code_challenge",
            ))
        }
        (None, None) if client.config.public => {
            return Err(fail(
                OAuthError::InvalidRequest,
                "a public client must use PKCE (code_challenge with S256)",
            ))
        }
        (None, None) => None,
    };
    let prompt: Vec<&str> = get(params, "prompt")
        .unwrap_or("")
        .split(' ')
        .filter(|s| !s.is_empty())
        .collect();
    if prompt.contains(&"none") && prompt.len() > 1 {
        return Err(fail(
            OAuthError::InvalidRequest,
            "prompt=none cannot be combined",
        ));
    }
    let max_age = match get(params, "max_age") {
        None => None,
        Some(text) => match text.parse::<i64>() {
            Ok(v) if v >= 0 => Some(v),
            _ => {
                return Err(fail(
                    OAuthError::InvalidRequest,
                    "max_age must be a number of seconds",
                ))
            }
        },
    };
    Ok(AuthorizeRequest {
        client,
        redirect_uri: redirect_uri.clone(),
        state: state.clone(),
        nonce: get(params, "nonce").map(str::to_string),
        scope,
        code_challenge,
        prompt_login: prompt.contains(&"login"),
        prompt_none: prompt.contains(&"none"),
        max_age,
        acr_values: get(params, "acr_values").map(str::to_string),
    })
}

fn is_challenge(c: &str) -> bool {
    c.len() == 43
        && c.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl AuthorizeRequest {
    /// Whether a sign-in made at `auth_time` will do, or a fresh one is
    /// needed. `signed_in_after` is the marker the authorize endpoint
    /// carried through the sign-in it asked for: a sign-in after it is fresh.
    pub fn needs_fresh(&self, auth_time: i64, now: i64, signed_in_after: Option<i64>) -> bool {
        if signed_in_after.is_some_and(|after| auth_time >= after) {
            return false;
        }
        let forced = self.prompt_login || self.acr_values.is_some();
        forced || self.max_age.is_some_and(|max| now - auth_time > max)
    }
}
