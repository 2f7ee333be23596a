//! OAuth 2.0 errors (RFC 6749 §4.1.2.1, §5.2; RFC 6750 §3.1).

/// An error the token, authorization or userinfo endpoint answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OAuthError {
    InvalidRequest,
    InvalidClient,
    InvalidGrant,
    UnauthorizedClient,
    UnsupportedGrantType,
    InvalidScope,
    UnsupportedResponseType,
    AccessDenied,
    LoginRequired,
    InvalidToken,
    ServerError,
}

impl OAuthError {
    pub const ALL: [OAuthError; 11] = [
        OAuthError::InvalidRequest,
        OAuthError::InvalidClient,
        OAuthError::InvalidGrant,
        OAuthError::UnauthorizedClient,
        OAuthError::UnsupportedGrantType,
        OAuthError::InvalidScope,
        OAuthError::UnsupportedResponseType,
        OAuthError::AccessDenied,
        OAuthError::LoginRequired,
        OAuthError::InvalidToken,
        OAuthError::ServerError,
    ];

    pub fn code(self) -> &'static str {
        match self {
            OAuthError::InvalidRequest => "invalid_request",
            OAuthError::InvalidClient => "invalid_client",
            OAuthError::InvalidGrant => "invalid_grant",
            OAuthError::UnauthorizedClient => "unauthorized_client",
            OAuthError::UnsupportedGrantType => "unsupported_grant_type",
            OAuthError::InvalidScope => "invalid_scope",
            OAuthError::UnsupportedResponseType => "unsupported_response_type",
            OAuthError::AccessDenied => "access_denied",
            OAuthError::LoginRequired => "login_required",
            OAuthError::InvalidToken => "invalid_token",
            OAuthError::ServerError => "server_error",
        }
    }
}

/// An error with the words for `error_description` (never a secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub error: OAuthError,
    pub description: String,
}

impl Refusal {
    pub fn new(error: OAuthError, description: impl Into<String>) -> Self {
        Refusal {
            error,
            description: description.into(),
        }
    }
}

impl From<crate::model::error::DomainError> for Refusal {
    fn from(e: crate::model::error::DomainError) -> Self {
        tracing::warn!(error = %e, "OpenID Provider: internal error");
        Refusal::new(
            OAuthError::ServerError,
            "the server could not answer; try again",
        )
    }
}

impl From<crate::model::error::StoreError> for Refusal {
    fn from(e: crate::model::error::StoreError) -> Self {
        Refusal::from(crate::model::error::DomainError::from(e))
    }
}
