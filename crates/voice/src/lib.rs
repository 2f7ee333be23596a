//! Countersign's phone call: an outbound SIP call that plays a prompt and
//! reads the keys the callee presses.
//!
//! SIP (transactions, dialogs, 401/407 digest, INFO) is `rsipstack`'s
//! (docs/decisions/0004-sip-library.md); the media is this crate's own and
//! small: G.711 ([`g711`]), RTP ([`rtp`]), the SDP offer and answer
//! ([`sdp`]), RFC 4733 events ([`rfc4733`]) and SIP INFO bodies ([`info`]),
//! each pure and fuzzed. [`Caller`] places a call and returns a
//! [`CallOutcome`].

pub mod config;
pub mod dial;
pub mod g711;
pub mod http;
pub mod info;
pub mod keys;
#[cfg(feature = "sip")]
pub mod media;
pub mod outcome;
#[cfg(feature = "sip")]
pub mod probe;
pub mod prompts;
pub mod rfc4733;
pub mod rtp;
pub mod sdp;
pub mod speech;
pub mod wav;

#[cfg(feature = "sip")]
mod agent;
#[cfg(feature = "sip")]
mod call;
mod error;
#[cfg(feature = "sip")]
pub mod tls;

#[cfg(feature = "sip")]
pub use agent::RegistrationState;
#[cfg(feature = "sip")]
pub use call::Caller;
pub use config::{SipConfig, SipTransport};
pub use error::VoiceError;
pub use outcome::{CallOutcome, CallReport, MediaStats};
pub use prompts::{Language, Prompt, Prompts};
