//! Single sign-on at `/sso`: the third session door beside the console and
//! the portal. Users sign in once (the directory's or the portal's
//! password, then their second factor through the engine, or a passkey as
//! both), in a session of kind `sso` whose cookie may cover a parent
//! domain (`sso.cookie_domain`). Reverse proxies ask forward auth
//! ([`forward`]) on every request; the OpenID Provider asks
//! [`current_login`] and sends browsers to [`sign_in_location`].
//! Every request to the pages passes the shared session guard
//! ([`door::sso_guard`]); forward auth does not (no forms, no pages).

mod door;
mod forward;
mod passkey;
mod redirect;
mod signin;
mod verify;

use axum::http::header::{self, HeaderMap};
use axum::middleware::from_fn_with_state;
use axum::routing::{get, post};
use axum::Router;
use countersign_domain::model::session::Level;
use countersign_domain::signin::Method;
use countersign_domain::User;

pub use door::SsoDoor;

use crate::sessions::{read_cookie, Jar, SSO};
use crate::AppState;

/// A browser fully signed in at `/sso`.
#[derive(Debug, Clone)]
pub struct SsoLogin {
    pub user: User,
    /// The session's id in the store (keyed hash of the cookie's token).
    pub session_hash: String,
    /// When the sign-in was completed (Unix seconds).
    pub auth_time: i64,
    /// The second factor(s) used.
    pub methods: Vec<Method>,
    /// Signed in with a passkey as both factors.
    pub passkey: bool,
}

/// The signed-in `/sso` session of the browser that sent `headers`, read
/// from the store (not the forward-auth cache): `None` when there is none,
/// it is over, or the store cannot be read.
pub async fn current_login(state: &AppState, headers: &HeaderMap) -> Option<SsoLogin> {
    let token = read_cookie(headers, session_cookie_name(state))?;
    let found = state.sso.sessions().find(token).await;
    let live = match found {
        Ok(Ok(live)) if live.level == Level::SignedIn => live,
        Ok(_) => return None,
        Err(e) => {
            tracing::warn!(error = %e, "could not read an /sso session");
            return None;
        }
    };
    Some(SsoLogin {
        auth_time: live.data.auth_time,
        methods: live.data.methods.clone(),
        passkey: live.data.passkey,
        session_hash: live.id_hash,
        user: live.subject.0,
    })
}

/// The sign-in page that sends the browser on to `rd` afterwards
/// (`/sso?rd=<urlencoded>`), with `&fresh=1` to sign in again even with a
/// live session (OpenID Connect's `prompt=login`, `max_age`).
pub fn sign_in_location(rd: &str, fresh: bool) -> String {
    let encoded: String = form_urlencoded::byte_serialize(rd.as_bytes()).collect();
    let mut location = format!("{}?rd={encoded}", SSO.login);
    if fresh {
        location.push_str("&fresh=1");
    }
    location
}

/// Ends the browser's `/sso` session in the store (and this node's
/// forward-auth cache) and returns the `Set-Cookie` headers that clear its
/// cookie.
pub async fn sign_out(state: &AppState, headers: &HeaderMap) -> HeaderMap {
    if let Some(token) = read_cookie(headers, session_cookie_name(state)) {
        let id_hash = state.sso.sessions().id_hash(token);
        if let Err(e) = state.sso.sign_out(&id_hash).await {
            tracing::warn!(error = %e, "could not end an /sso session");
        }
    }
    let mut out = HeaderMap::new();
    let domain = state.sso.policy().cookie_domain.clone();
    let jar = Jar {
        https: state.transport.https,
        domain: domain.as_deref(),
    };
    out.append(
        header::SET_COOKIE,
        SSO.cookie(session_cookie_name(state), "", jar, true),
    );
    out
}

/// The `/sso` session cookie's name on this server.
pub(crate) fn session_cookie_name(state: &AppState) -> &'static str {
    let domain = state.sso.policy().cookie_domain.is_some();
    SSO.cookies(state.transport.https, domain).0
}

/// The `/sso` routes: the pages behind the session guard, forward auth beside it.
pub fn router(state: AppState) -> Router<AppState> {
    let pages = Router::new()
        .route("/sso", get(signin::form).post(signin::submit))
        .route("/sso/verify", get(verify::page).post(verify::submit))
        .route("/sso/verify/method", post(verify::switch_method))
        .route("/sso/passkey/begin", post(passkey::begin))
        .route("/sso/passkey", post(passkey::submit))
        .route("/sso/logout", get(signin::logout_page).post(signin::logout))
        .layer(from_fn_with_state(state, door::sso_guard));
    Router::new()
        .merge(pages)
        .route("/sso/auth/forward", get(forward::traefik))
        .route("/sso/auth/request", get(forward::nginx))
}
