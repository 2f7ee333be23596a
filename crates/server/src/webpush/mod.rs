//! Web Push sending: on each push, in the background (the verify answer
//! never waits for it), an encrypted message to every subscribed device of
//! the user. The hub still serves open event streams; this wakes the web
//! app when it is closed. Endpoints at internal addresses are refused
//! (`resolver`), literal or resolved.

mod notifier;
mod resolver;
mod sender;

pub use notifier::WithWebPush;
pub use sender::{Sender, WebPushMetrics};
