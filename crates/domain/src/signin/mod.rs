//! The sign-in engine: every door (HTTP API, RADIUS, CLI, and later the
//! portal, console and LDAP proxy) turns its request into one [`Attempt`]
//! and maps the [`Step`] it gets back to its protocol. Which method runs,
//! whether it may, what happens when it cannot (pass-through for
//! unenrolled users, falling back to a code), lockout and audit are
//! decided here and nowhere else.
//!
//! ```text
//!  Attempt ──> start ──> user? ──no──> not_enrolled (door allows) | unknown_user
//!                          │
//!                   enabled, not locked?
//!                          │
//!             method: named | implied by a code | user's default
//!                          │
//!             allowed for the user and the policy? ──no──> method_not_allowed
//!                          │
//!     otp ─> Verifier (accepted | rejected)     push ─> Push (pending | rejected [-> otp challenge])
//!     sms, email ─> Codes (challenge)           sms_reply ─> Codes (pending)
//!
//!  answer(transaction, code) ─> accepted | rejected
//!  wait(transaction)         ─> accepted | rejected | pending | otp challenge (fallback)
//! ```

mod attempt;
mod choose;
mod first_factor;
mod follow;
pub mod matching;
mod passkey;
mod pin_check;
mod record;
mod refusal;
mod remembered;
mod rules;
mod self_service;
pub mod verifier;

use std::sync::Arc;

use crate::methods::call::Calls;
use crate::methods::codes::Codes;
use crate::methods::push::Push;
use crate::model::channels::Channels;
use crate::ports::clock::Clock;
use crate::ports::SignInPorts;
use crate::signin::verifier::Verifier;

pub use crate::model::door::DoorRules;
pub use crate::model::method::{Holdings, Method, Methods};
pub use crate::ports::Signals;
pub use attempt::{Attempt, Step};
pub use follow::AnswerError;
pub use passkey::PasskeySignIn;
pub use refusal::{Refusal, RefusalPolicy, GENERIC_REFUSAL};
pub use rules::Explanation;

/// Server-wide sign-in policy (`[verify]` in the configuration).
#[derive(Debug, Clone, Copy)]
pub struct SignInPolicy {
    /// The seed's "allow users to select method": when off, a door that
    /// names a method other than the user's default is refused.
    pub allow_method_choice: bool,
}

impl Default for SignInPolicy {
    fn default() -> Self {
        Self {
            allow_method_choice: true,
        }
    }
}

/// The one engine behind every door.
#[derive(Clone)]
pub struct SignIn {
    store: Arc<dyn SignInPorts>,
    clock: Arc<dyn Clock>,
    verifier: Verifier,
    push: Push,
    codes: Codes,
    /// Phone calls, when a voice provider is configured.
    calls: Option<Calls>,
    signals: Arc<dyn Signals>,
    /// How doors tell refusals (generic words by default).
    refusals: RefusalPolicy,
    /// The channels this server can deliver on (every one by default).
    channels: Channels,
    /// Passkeys (`webauthn`), when configured ([`SignIn::with_passkeys`]).
    passkeys: Option<crate::methods::passkeys::Passkeys>,
    /// Remembered browsers ([`SignIn::with_remembered`]).
    remembered: Option<crate::sessions::RememberedDevices>,
    /// The sign-in rules ([`SignIn::with_rules`]); none by default.
    rules: crate::rules::RulesHandle,
}

impl SignIn {
    pub fn new(
        store: Arc<dyn SignInPorts>,
        verifier: Verifier,
        push: Push,
        codes: Codes,
        signals: Arc<dyn Signals>,
        policy: SignInPolicy,
    ) -> Self {
        Self {
            store,
            clock: push.clock().clone(),
            verifier,
            push,
            codes,
            calls: None,
            signals,
            refusals: RefusalPolicy::default(),
            channels: Channels::default(),
            passkeys: None,
            remembered: None,
            rules: crate::rules::RulesHandle::default(),
        }
        .with_initial(policy)
    }

    fn with_initial(self, policy: SignInPolicy) -> Self {
        let choice = policy.allow_method_choice;
        self.verifier
            .settings()
            .update(|s| s.allow_method_choice = choice);
        self
    }

    /// Sets the channels configured (`[sms]`, `[smtp]`): methods that need
    /// a missing one are never chosen.
    pub fn with_channels(mut self, channels: Channels) -> Self {
        self.channels = channels;
        self
    }

    /// Adds phone calls (`[voice]`): without them `call` is never delivered.
    pub fn with_calls(mut self, calls: Calls) -> Self {
        self.calls = Some(calls);
        self
    }

    /// The longest a call can stay pending, for doors that wait for it.
    pub fn call_timeout_seconds(&self) -> u64 {
        self.calls
            .as_ref()
            .map_or(1, |c| c.policy().timeout_seconds().max(1) as u64)
    }

    /// The longest a pending `method` can take, for doors that wait for it.
    pub fn pending_seconds(&self, method: Method) -> u64 {
        match method {
            Method::Call => self.call_timeout_seconds(),
            _ => self.push_timeout_seconds(),
        }
    }

    /// The policy as currently stored (settings change it while running).
    pub fn policy(&self) -> SignInPolicy {
        SignInPolicy {
            allow_method_choice: self.verifier.settings().read(|s| s.allow_method_choice),
        }
    }

    /// The longest a push can stay pending, for doors that wait for it.
    pub fn push_timeout_seconds(&self) -> u64 {
        self.push.policy().timeout_seconds.max(1) as u64
    }
}
