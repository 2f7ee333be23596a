//! The `/sso` door on the shared session guard ([`crate::sessions`]):
//! users' sessions of kind `sso`, its own cookies (which may carry
//! `Domain=sso.cookie_domain`), the portal's pages and words in the
//! visitor's language.

use std::ops::Deref;

use axum::extract::{FromRequestParts, Request, State};
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;
use countersign_domain::sessions::SsoUser;
use countersign_domain::DomainError;

use crate::portal::Lang;
use crate::sessions::{Places, Refusal, SessionDoor, Visit, SSO};
use crate::AppState;

/// Single sign-on under `/sso`.
pub struct SsoDoor;

impl SessionDoor for SsoDoor {
    type Subject = SsoUser;
    const PLACES: &'static Places = &SSO;

    fn refused(state: &AppState, headers: &HeaderMap, why: Refusal) -> Response {
        let lang = Lang::from_headers(headers);
        let key = match why {
            Refusal::TooLarge => "form_too_large",
            Refusal::Forged => "form_expired",
        };
        super::signin::message(state, lang, why.status(), "not_accepted", key, None)
    }

    fn failure(state: &AppState, headers: &HeaderMap, e: DomainError) -> Response {
        super::signin::failure(state, Lang::from_headers(headers), e)
    }

    fn finish(headers: &mut HeaderMap) {
        headers.append(header::VARY, HeaderValue::from_static("Accept-Language"));
    }

    fn cookie_domain(state: &AppState) -> Option<String> {
        state.sso.policy().cookie_domain.clone()
    }
}

/// Every `/sso` page passes here (see [`crate::sessions::guard()`]).
pub async fn sso_guard(state: State<AppState>, request: Request, next: Next) -> Response {
    crate::sessions::guard::<SsoDoor>(state, request, next).await
}

/// Who is asking `/sso`, as the guard found out, and in which language.
#[derive(Clone)]
pub struct Guest {
    visit: Visit<SsoDoor>,
    pub lang: Lang,
}

impl Deref for Guest {
    type Target = Visit<SsoDoor>;

    fn deref(&self) -> &Visit<SsoDoor> {
        &self.visit
    }
}

impl FromRequestParts<AppState> for Guest {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let visit = Visit::from_request_parts(parts, state).await?;
        let lang = Lang::from_headers(&parts.headers);
        Ok(Guest { visit, lang })
    }
}
