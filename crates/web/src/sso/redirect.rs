//! `rd`: where a browser goes after signing in or out. Only URLs the
//! domain's rules allow ([`countersign_domain::sso::SsoPolicy::redirect_allowed`]:
//! `public_url`'s origin or host, or a host under `sso.cookie_domain`) are
//! followed; anything else is dropped (no open redirect) and the browser
//! sees the "signed in" page instead.

use countersign_domain::sso::bare_host;

use crate::AppState;

/// `rd` when it may be followed.
pub fn allowed_rd(state: &AppState, rd: Option<&str>) -> Option<String> {
    let rd = rd.map(str::trim).filter(|rd| !rd.is_empty())?;
    if state.sso.policy().redirect_allowed(rd) {
        Some(rd.to_string())
    } else {
        tracing::info!(rd = %rd.chars().take(200).collect::<String>(), "sso: rd refused (not a host of ours)");
        None
    }
}

/// The host an allowed `rd` leads to (what the phone and the page name).
pub fn application_of(rd: &str) -> String {
    let rest = rd.split_once("://").map_or(rd, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    bare_host(authority)
}
