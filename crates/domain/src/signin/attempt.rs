//! What a door hands the engine, and the one step it gets back.

use crate::model::door::DoorRules;

use crate::methods::push::PushContext;
use crate::model::audit::Source;
use crate::model::reason::Reason;
use crate::signin::Method;

/// One sign-in as a door sees it.
#[derive(Debug, Clone, Default)]
pub struct Attempt {
    pub username: String,
    /// `None`: the method a submitted code implies (otp), else the user's default.
    pub method: Option<Method>,
    /// What the user typed, if anything (PIN + code for users with a PIN).
    pub code: Option<String>,
    /// Where the sign-in comes from, as a push shows it.
    pub context: PushContext,
    /// Who asked (API key or door) and from which address.
    pub source: Source,
    pub rules: DoorRules,
    /// The console signing in one of its administrators: only then may
    /// `username` name an administrator's principal (`admin/NAME`).
    pub administrator: bool,
    /// A browser door's remembered-browser cookie, as presented (the
    /// portal, /sso; never the console). The engine checks it against the
    /// store and the matching rule; the door only passes it on.
    pub remembered: Option<String>,
    /// The person's network address where the door knows it apart from its
    /// peer's (RADIUS: `Calling-Station-Id` when it is an address, else
    /// `Framed-IP-Address`): what rules' `networks` match. When `None`,
    /// `context.client_address` if it is an address, and at browser doors
    /// the address the request came from.
    pub network: Option<std::net::IpAddr>,
}

impl Attempt {
    /// The method asked for: the one named, else otp (yubico for a
    /// YubiKey's OTP) when a code came.
    pub fn named_method(&self) -> Option<Method> {
        self.method.or(self.code.as_deref().map(Method::of_code))
    }
}

/// The engine's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Signed in. `method` is `None` (and `reason` is `not_enrolled`) when
    /// the door let an unenrolled user through.
    Accepted {
        method: Option<Method>,
        /// The token, device or code challenge that answered.
        credential: Option<String>,
        reason: Option<Reason>,
    },
    Rejected {
        reason: Reason,
    },
    /// Ask the user for a code. `transaction_id` names the texted or
    /// emailed code to answer; `None` for an OATH code. For a passkey
    /// (`webauthn`), `options` is the `PublicKeyCredentialRequestOptionsJSON`
    /// to give the browser and `transaction_id` the challenge to answer
    /// with the assertion; `None` for every other method.
    Challenge {
        transaction_id: Option<String>,
        method: Method,
        prompt: String,
        options: Option<serde_json::Value>,
    },
    /// Waiting for the user's phone (push, two-way SMS).
    Pending {
        transaction_id: String,
        method: Method,
        /// The number to show for number matching.
        number: Option<i64>,
        prompt: String,
    },
}

impl Step {
    pub fn rejected(reason: Reason) -> Step {
        Step::Rejected { reason }
    }

    /// The OATH code prompt used by every door.
    pub fn otp_challenge(prompt: &str) -> Step {
        Step::Challenge {
            transaction_id: None,
            method: Method::Otp,
            prompt: prompt.to_string(),
            options: None,
        }
    }
}
