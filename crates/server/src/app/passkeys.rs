//! Passkeys (`[webauthn]`): the relying party the engine's `webauthn`
//! method and the registration service use.

use std::sync::Arc;

use countersign_domain::methods::passkeys::Passkeys;
use countersign_domain::{Clock, SignIn, Store};

use crate::config::Config;

/// Passkeys on the relying party of `[webauthn]`; off (with a warning that
/// `countersign doctor` repeats) when that cannot be a relying party.
fn open(
    config: &Config,
    store: &Arc<dyn Store>,
    clock: &Arc<dyn Clock>,
    verifier: &countersign_domain::Verifier,
) -> Option<Passkeys> {
    let w = &config.webauthn;
    let name = w
        .rp_name
        .clone()
        .unwrap_or_else(|| config.push.account_name.clone());
    let policy = countersign_webauthn::Policy::default();
    match countersign_webauthn::RelyingParty::new(&w.rp_id, &name, &w.origins, policy) {
        Ok(rp) => Some(Passkeys::new(
            store.clone(),
            clock.clone(),
            rp,
            verifier.settings().clone(),
        )),
        Err(e) => {
            tracing::warn!(rp_id = %w.rp_id, origins = ?w.origins, "passkeys are off: {e} (set webauthn.rp_id and webauthn.origins, or an https public_url)");
            None
        }
    }
}

/// The engine with passkeys on when `[webauthn]` makes a relying party.
pub(super) fn turn_on(
    signin: SignIn,
    config: &Config,
    store: &Arc<dyn Store>,
    clock: &Arc<dyn Clock>,
    verifier: &countersign_domain::Verifier,
) -> SignIn {
    match open(config, store, clock, verifier) {
        Some(passkeys) => signin.with_passkeys(passkeys),
        None => signin,
    }
}
