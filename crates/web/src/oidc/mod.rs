//! The OpenID Provider's HTTP endpoints (issue 27): discovery, JWKS,
//! authorize (`/sso/authorize`, on the SSO door's sign-in), token,
//! userinfo and end-session. They parse and answer; the domain's
//! `OidcProvider` decides, writes and audits.

mod authorize;
mod end_session;
mod endpoints;
mod page;

use axum::routing::get;
use axum::Router;
use countersign_domain::oidc::OidcProvider;

use crate::state::{AppState, Door, Services};

/// The provider's state: one `Arc`.
pub type OidcState = Door<OidcServices>;

pub struct OidcServices {
    pub provider: OidcProvider,
}

impl From<&Services> for OidcServices {
    fn from(s: &Services) -> Self {
        OidcServices {
            provider: s.oidc.clone(),
        }
    }
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/.well-known/openid-configuration",
            get(endpoints::discovery),
        )
        .route("/sso/jwks", get(endpoints::jwks))
        .route("/sso/token", axum::routing::post(endpoints::token))
        .route(
            "/sso/userinfo",
            get(endpoints::userinfo).post(endpoints::userinfo),
        )
        .route("/sso/authorize", get(authorize::authorize))
        .route(
            "/sso/end_session",
            get(end_session::end_session).post(end_session::end_session),
        )
}
