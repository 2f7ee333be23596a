//! The services behind `/sso`: single sign-on (sessions, forward auth,
//! groups) and the OpenID Provider.

use std::sync::Arc;

use countersign_domain::oidc::OidcProvider;
use countersign_domain::sessions::Sessions;
use countersign_domain::sso::{Sso, StoredGroups};

use super::Base;
use crate::config::Config;

pub(super) fn open_sso(config: &Config, base: &Base, sessions: &Sessions) -> Sso {
    Sso::new(sessions.sso.clone(), base.store.clone(), config.sso.clone())
        .with_groups(Arc::new(StoredGroups(base.store.clone())))
}

/// The OpenID Provider; its issuer is `public_url`, else the listen address over http.
pub(super) fn open_oidc(config: &Config, base: &Base) -> OidcProvider {
    let issuer = match &config.public_url {
        Some(url) => url.trim_end_matches('/').to_string(),
        None => format!("http://{}", config.listen),
    };
    OidcProvider::new(
        base.store.clone(),
        base.clock.clone(),
        base.key.clone(),
        &issuer,
    )
}
