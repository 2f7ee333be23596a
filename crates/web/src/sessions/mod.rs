//! One session guard for every door with browser sessions: the console
//! under `/admin` (administrators) and the portal under `/portal` (users).
//! A [`SessionDoor`] says which sessions, cookies and pages are its own; the
//! guard ([`guard()`]) does the rest the same way for all: the session
//! cookie read once, a `csrf` field required on every POST, the security
//! headers on every answer. Each door has its own cookie names, and the
//! domain finds a session only as its own kind, so a portal cookie never
//! opens `/admin` nor the other way round.

mod guard;
mod remembered;

use axum::extract::FromRequestParts;
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use countersign_domain::model::session::Level;
use countersign_domain::sessions::{Closed, Live, Sessions, SessionsOf, Subject};
use countersign_domain::DomainError;

pub use guard::{guard, read_cookie, Refusal};

use crate::AppState;

/// A door with browser sessions of its own kind.
pub trait SessionDoor: Send + Sync + 'static {
    /// Whose sessions: [`countersign_domain::model::admin::Admin`] or
    /// [`countersign_domain::User`].
    type Subject: Subject;
    /// Its cookies and pages: [`CONSOLE`] or [`PORTAL`].
    const PLACES: &'static Places;

    /// The page for a form refused before its handler ran.
    fn refused(state: &AppState, headers: &HeaderMap, why: Refusal) -> Response;
    /// The page when the session cannot be read (the database is away).
    fn failure(state: &AppState, headers: &HeaderMap, e: DomainError) -> Response;
    /// What the door adds to every answer besides the security headers.
    fn finish(_headers: &mut HeaderMap) {}
    /// The parent domain the session cookie is sent to (`Domain=`); `None`:
    /// this host only.
    fn cookie_domain(_state: &AppState) -> Option<String> {
        None
    }
}

/// A door's cookies and pages.
pub struct Places {
    /// The door's name in the log.
    pub name: &'static str,
    /// `(session, pre-session)` cookie names over HTTP, and over HTTPS
    /// (`__Host-` names; HTTPS when the server serves TLS itself or sits
    /// behind a TLS proxy with an https `public_url`).
    pub http: (&'static str, &'static str),
    pub https: (&'static str, &'static str),
    /// Over HTTPS with a cookie domain: a `__Host-` cookie cannot carry
    /// `Domain`, so the session cookie is `__Secure-` (the pre-session
    /// cookie stays on this host).
    pub https_domain: (&'static str, &'static str),
    /// `SameSite` of the door's cookies: `Strict`, or `Lax` where other
    /// sites send browsers here signed in (single sign-on).
    pub same_site: &'static str,
    /// The sign-in page.
    pub login: &'static str,
    /// Where a session belongs at each level.
    pub second_factor: &'static str,
    pub enrol: &'static str,
    pub signed_in: &'static str,
}

/// The console under `/admin`: administrators' sessions.
pub const CONSOLE: Places = Places {
    name: "console",
    http: ("countersign_session", "countersign_login"),
    https: ("__Host-countersign_session", "__Host-countersign_login"),
    https_domain: ("__Host-countersign_session", "__Host-countersign_login"),
    same_site: "Strict",
    login: "/admin/login",
    second_factor: "/admin/login/code",
    enrol: "/admin/enrol",
    signed_in: "/admin",
};

/// The portal under `/portal`: users' sessions.
pub const PORTAL: Places = Places {
    name: "portal",
    http: ("countersign_portal", "countersign_portal_login"),
    https: (
        "__Host-countersign_portal",
        "__Host-countersign_portal_login",
    ),
    https_domain: (
        "__Host-countersign_portal",
        "__Host-countersign_portal_login",
    ),
    same_site: "Strict",
    login: "/portal/login",
    second_factor: "/portal/verify",
    enrol: "/portal/enrol",
    signed_in: "/portal",
};

/// Single sign-on under `/sso`: users' sessions of kind `sso`, whose
/// cookie may cover a parent domain (forward auth) and is `Lax` (relying
/// parties on other sites send browsers here).
pub const SSO: Places = Places {
    name: "sso",
    http: ("countersign_sso", "countersign_sso_login"),
    https: ("__Host-countersign_sso", "__Host-countersign_sso_login"),
    https_domain: ("__Secure-countersign_sso", "__Host-countersign_sso_login"),
    same_site: "Lax",
    login: "/sso",
    second_factor: "/sso/verify",
    enrol: "/sso",
    signed_in: "/sso",
};

impl Places {
    /// Where a session at `level` belongs.
    pub fn landing(&self, level: Level) -> &'static str {
        match level {
            Level::SecondFactor => self.second_factor,
            Level::Enrol => self.enrol,
            Level::SignedIn => self.signed_in,
        }
    }

    /// The `(session, pre-session)` cookie names over HTTPS or not, with a
    /// cookie domain or not.
    pub fn cookies(&self, https: bool, domain: bool) -> (&'static str, &'static str) {
        match (https, domain) {
            (true, true) => self.https_domain,
            (true, false) => self.https,
            (false, _) => self.http,
        }
    }

    /// A `Set-Cookie` value with the flags every session cookie has;
    /// `domain` only on the session cookie of a door that has one.
    pub fn cookie(&self, name: &str, value: &str, jar: Jar<'_>, remove: bool) -> HeaderValue {
        let secure = if jar.https { "; Secure" } else { "" };
        let age = if remove { "; Max-Age=0" } else { "" };
        let domain = jar
            .domain
            .map(|d| format!("; Domain={d}"))
            .unwrap_or_default();
        let same_site = self.same_site;
        let text =
            format!("{name}={value}; Path=/{domain}; HttpOnly; SameSite={same_site}{secure}{age}");
        HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
    }
}

/// Where a cookie is set: over HTTPS or not, for a parent domain or not.
#[derive(Debug, Clone, Copy)]
pub struct Jar<'a> {
    pub https: bool,
    pub domain: Option<&'a str>,
}

/// Who is asking at door `K`, as the guard found out.
pub struct Visit<K: SessionDoor> {
    pub live: Option<Live<K::Subject>>,
    /// Why the cookie's session is over, to say so on the sign-in page.
    pub closed: Option<Closed>,
    /// The pre-session cookie that the sign-in form's `csrf` is bound to.
    pre_token: String,
    /// Set when `pre_token` is new and the answer must set its cookie.
    new_pre_token: bool,
    pub address: Option<String>,
    https: bool,
    /// The session cookie's `Domain` ([`SessionDoor::cookie_domain`]).
    domain: Option<String>,
    /// The remembered-browser cookie as presented (passed to the engine).
    pub remembered: Option<String>,
    /// The browser's User-Agent (a remembered browser's label).
    pub user_agent: Option<String>,
}

// By hand: a derived Clone would want the door's marker type to be Clone too.
impl<K: SessionDoor> Clone for Visit<K> {
    fn clone(&self) -> Self {
        Visit {
            live: self.live.clone(),
            closed: self.closed,
            pre_token: self.pre_token.clone(),
            new_pre_token: self.new_pre_token,
            address: self.address.clone(),
            https: self.https,
            domain: self.domain.clone(),
            remembered: self.remembered.clone(),
            user_agent: self.user_agent.clone(),
        }
    }
}

impl<K: SessionDoor> Visit<K> {
    /// The `csrf` value this visitor's forms carry.
    pub fn csrf(&self, state: &impl HoldsSessions) -> String {
        match &self.live {
            Some(live) => live.csrf.clone(),
            None => sessions::<K>(state).login_csrf(&self.pre_token),
        }
    }

    fn session_cookie_name(&self) -> &'static str {
        K::PLACES.cookies(self.https, self.domain.is_some()).0
    }

    /// Where this door's session cookie is set.
    pub fn jar(&self) -> Jar<'_> {
        Jar {
            https: self.https,
            domain: self.domain.as_deref(),
        }
    }

    /// The sign-in page, saying why the session ended when it did.
    pub fn login_path(&self) -> String {
        match self.closed {
            Some(closed) => format!("{}?ended={}", K::PLACES.login, closed.as_str()),
            None => K::PLACES.login.to_string(),
        }
    }

    /// The live session when it is at one of `levels`; else the way to
    /// where the visitor belongs.
    pub fn at(&self, levels: &[Level]) -> Result<Live<K::Subject>, Redirect> {
        match &self.live {
            Some(live) if levels.contains(&live.level) => Ok(live.clone()),
            Some(live) => Err(Redirect::to(K::PLACES.landing(live.level))),
            None => Err(Redirect::to(&self.login_path())),
        }
    }

    /// Sets (or, with `token` `None`, removes) the session cookie on `answer`.
    pub fn with_session(&self, token: Option<&str>, answer: impl IntoResponse) -> Response {
        let mut response = answer.into_response();
        let value = K::PLACES.cookie(
            self.session_cookie_name(),
            token.unwrap_or(""),
            self.jar(),
            token.is_none(),
        );
        response.headers_mut().append(header::SET_COOKIE, value);
        response
    }
}

impl<K: SessionDoor> FromRequestParts<AppState> for Visit<K> {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Response> {
        parts
            .extensions
            .get::<Visit<K>>()
            .cloned()
            .ok_or_else(|| StatusCode::INTERNAL_SERVER_ERROR.into_response())
    }
}

/// A door's state that holds the sessions of every kind (the whole app's,
/// the console's, the portal's).
pub trait HoldsSessions {
    fn all_sessions(&self) -> &Sessions;
}

impl HoldsSessions for AppState {
    fn all_sessions(&self) -> &Sessions {
        &self.sessions
    }
}

impl HoldsSessions for crate::console::ConsoleState {
    fn all_sessions(&self) -> &Sessions {
        &self.sessions
    }
}

impl HoldsSessions for crate::portal::PortalState {
    fn all_sessions(&self) -> &Sessions {
        &self.sessions
    }
}

/// The sessions of door `K`'s kind.
fn sessions<K: SessionDoor>(state: &impl HoldsSessions) -> &SessionsOf<K::Subject> {
    K::Subject::sessions_in(state.all_sessions())
}
