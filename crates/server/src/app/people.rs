//! Groups of users and remembered browsers, as the composition root makes
//! them: both stand on the store, the clock and (the browsers) the key.

use countersign_domain::admin::groups::Groups;
use countersign_domain::sessions::RememberedDevices;

use super::{App, Base};

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
