use serde::Deserialize;
use serde::Serialize;

/// A door's own rules, like Azure MFA Server's per-client settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DoorRules {
    /// false: a user who is unknown or has no method is let through,
    /// audited as `not_enrolled` (staged roll-outs).
    pub require_user_match: bool,
    /// When a push times out or the user has no device, ask for an OATH
    /// code instead of rejecting.
    pub fallback_otp: bool,
}

impl Default for DoorRules {
    fn default() -> Self {
        Self {
            require_user_match: true,
            fallback_otp: false,
        }
    }
}
