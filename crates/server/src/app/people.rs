//! People's groups, remembered browsers and sessions (with /sso), as the
//! composition root makes them.

use countersign_domain::admin::groups::Groups;
use countersign_domain::sessions::RememberedDevices;

use std::sync::Arc;

use super::{App, Base, Config};

/// The engine's remembered browsers: the same keyed hash as
/// `Sessions::remembered`, so one cookie means the same to both.
pub(super) fn remembered(base: &Base) -> RememberedDevices {
    RememberedDevices::new(base.store.clone(), base.clock.clone(), base.key.clone())
}

impl App {
    /// Groups and their members (the CLI, the doors' state).
    pub fn groups(&self) -> Groups {
        Groups::new(self.store.clone(), self.clock.clone())
    }
}

/// Every kind of session (`/sso`'s limits follow the stored settings).
pub(super) fn open_sessions(
    config: &Config,
    base: &Base,
    settings: &countersign_domain::admin::settings::SettingsService,
) -> countersign_domain::sessions::Sessions {
    let live = settings.handle().clone();
    countersign_domain::sessions::Sessions::new(
        base.store.clone(),
        base.clock.clone(),
        base.key.clone(),
        config.console_sessions,
        config.portal.sessions,
    )
    .with_sso_policy(Arc::new(move || live.read(|s| s.sso_sessions())))
}
