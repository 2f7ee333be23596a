//! The portal's door on the shared session guard ([`crate::sessions`]):
//! users' sessions, the portal's own cookies (a portal session never opens
//! `/admin`), its pages in the visitor's language (from Accept-Language),
//! and the extractors that say how far a user has signed in.

use std::ops::Deref;

use axum::extract::{FromRequestParts, Request, State};
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use countersign_domain::model::session::Level;
use countersign_domain::portal::PortalLive;
use countersign_domain::{DomainError, User};

use super::pages::{self, Lang};
use crate::sessions::{Places, Refusal, SessionDoor, Visit, PORTAL};
use crate::AppState;

/// The portal under `/portal`.
pub struct PortalDoor;

impl SessionDoor for PortalDoor {
    type Subject = User;
    const PLACES: &'static Places = &PORTAL;

    fn refused(state: &AppState, headers: &HeaderMap, why: Refusal) -> Response {
        let lang = Lang::from_headers(headers);
        let key = match why {
            Refusal::TooLarge => "form_too_large",
            Refusal::Forged => "form_expired",
        };
        pages::message(state, lang, why.status(), "not_accepted", key)
    }

    fn failure(state: &AppState, headers: &HeaderMap, e: DomainError) -> Response {
        pages::failure(state, Lang::from_headers(headers), e)
    }

    /// The pages' words follow Accept-Language.
    fn finish(headers: &mut HeaderMap) {
        headers.append(header::VARY, HeaderValue::from_static("Accept-Language"));
    }
}

/// Every portal request passes here (see [`crate::sessions::guard()`]).
pub async fn portal_guard(state: State<AppState>, request: Request, next: Next) -> Response {
    crate::sessions::guard::<PortalDoor>(state, request, next).await
}

/// Who is asking the portal, as the guard found out, and in which language.
#[derive(Clone)]
pub struct Guest {
    visit: Visit<PortalDoor>,
    pub lang: Lang,
}

impl Deref for Guest {
    type Target = Visit<PortalDoor>;

    fn deref(&self) -> &Visit<PortalDoor> {
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

/// A user fully signed in; anyone else is sent on to where they are.
pub struct Member(pub PortalLive, pub Guest);

/// A user signed in, or signed in to enrol a first method only.
pub struct Enroller(pub PortalLive, pub Guest);

/// The guest when their session is at one of `levels`; else where they belong.
async fn admitted(
    parts: &mut Parts,
    state: &AppState,
    levels: &[Level],
) -> Result<(PortalLive, Guest), Response> {
    let guest = Guest::from_request_parts(parts, state).await?;
    let live = guest.at(levels).map_err(IntoResponse::into_response)?;
    Ok((live, guest))
}

impl FromRequestParts<AppState> for Member {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let (live, guest) = admitted(parts, state, &[Level::SignedIn]).await?;
        Ok(Member(live, guest))
    }
}

impl FromRequestParts<AppState> for Enroller {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let levels = [Level::SignedIn, Level::Enrol];
        let (live, guest) = admitted(parts, state, &levels).await?;
        Ok(Enroller(live, guest))
    }
}
