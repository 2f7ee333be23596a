//! What a door tells a person it refused before they proved anything
//! (RADIUS, the LDAP proxy, portal and console sign-in): by default the
//! same words for every reason, so no answer says whether a name exists,
//! is locked or is disabled. The exact reason stays in the audit trail and
//! the log. Doors ask [`SignIn::refusal`] and show what it gives; none of
//! them decides per reason.

use std::sync::Arc;

use crate::model::reason::Reason;
use crate::signin::SignIn;

/// The words every refusal gets when generic refusals are on and no
/// message is configured (`verify.refusal_message`).
pub const GENERIC_REFUSAL: &str = "Sign-in failed. Check your name, password and code and try again; if it keeps failing, ask your administrator.";

/// `verify.generic_refusals` and `verify.refusal_message`.
#[derive(Debug, Clone)]
pub struct RefusalPolicy {
    /// On (the default): one message for every refusal before success.
    pub generic: bool,
    /// The operator's own words; `None` uses [`GENERIC_REFUSAL`] (the
    /// portal shows its translation of it).
    pub message: Option<Arc<str>>,
}

impl Default for RefusalPolicy {
    fn default() -> Self {
        Self {
            generic: true,
            message: None,
        }
    }
}

/// A refusal as a door shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The reason is not told: the operator's words, or `None` for the
    /// built-in [`GENERIC_REFUSAL`].
    Generic(Option<Arc<str>>),
    /// Generic refusals are off: the reason is told.
    Told(Reason),
}

impl Refusal {
    /// The words alone (pages).
    pub fn words(&self) -> String {
        match self {
            Refusal::Generic(custom) => custom.as_deref().unwrap_or(GENERIC_REFUSAL).to_string(),
            Refusal::Told(reason) => reason.message().to_string(),
        }
    }

    /// The words with the reason code when told (RADIUS Reply-Message, an
    /// LDAP diagnostic message): "The code is wrong ... (code_invalid)".
    pub fn words_with_code(&self) -> String {
        match self {
            Refusal::Told(reason) => format!("{} ({})", reason.message(), reason.as_str()),
            generic => generic.words(),
        }
    }
}

impl SignIn {
    /// How a door that has seen no proof yet shows a refusal for `reason`.
    pub fn refusal(&self, reason: Reason) -> Refusal {
        match self.refusals.generic {
            true => Refusal::Generic(self.refusals.message.clone()),
            false => Refusal::Told(reason),
        }
    }

    /// Sets how refusals are told (the configuration's `[verify]`).
    pub fn with_refusals(mut self, policy: RefusalPolicy) -> Self {
        self.refusals = policy;
        self
    }
}
