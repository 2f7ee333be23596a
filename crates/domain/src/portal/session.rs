//! A portal session's working state: what the sign-in and the signed-in
//! pages keep between requests, sealed in the session's row (the sessions
//! themselves are [`crate::sessions`]' users' sessions).

use crate::model::user::User;
use crate::sessions::Live;

pub use crate::model::session::{PendingContact, SessionData, Underway};

/// A live portal session: a user's, with its working state.
pub type PortalLive = Live<User>;

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
