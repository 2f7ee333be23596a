//! Stable reason codes. They are part of the API, the audit log and every
//! door's answers: never rename one; add new ones. Documented in
//! `docs/reason-codes.md`.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// The code matches no token of the user inside the allowed window.
    CodeInvalid,
    /// The code is not a string of 6 to 8 digits.
    CodeMalformed,
    /// The code (or an earlier one of the same token) was already accepted.
    CodeReused,
    /// Too many consecutive failures: the user is locked for a while.
    UserLockedOut,
    /// An administrator disabled the user.
    UserDisabled,
    /// No user has that name.
    UnknownUser,
    /// The user has no verification method that can check this request.
    NoMethod,
    /// Push was asked for, but the user has no activated authenticator.
    NoDevice,
    /// Too many pushes for this user recently (push bombing defence).
    PushRateLimited,
    /// The user tapped Deny.
    PushDenied,
    /// The user reported the sign-in as fraud.
    FraudReported,
    /// Nobody answered the push in time.
    PushTimeout,
    /// The user picked a number other than the one on the sign-in screen.
    NumberMismatch,
    /// The PIN entered on the device was wrong.
    PinIncorrect,
    /// The texted or emailed code ran out before it was entered.
    CodeExpired,
    /// Too many wrong codes for one texted or emailed code.
    AttemptsExceeded,
    /// Too many codes sent to this user recently.
    CodeRateLimited,
    /// A RADIUS State that is unknown, already answered or too old.
    ChallengeExpired,
    /// The door asked for a method this user may not use: not their
    /// default while method choice is off, or not in their allowed methods.
    MethodNotAllowed,
    /// Let through without a second factor: the user is unknown or has no
    /// method, and the door does not require a user match (staged roll-out).
    /// Recorded on accepted sign-ins only.
    NotEnrolled,
    /// Let through without a second factor by a one-time bypass an
    /// administrator granted. Recorded on accepted sign-ins only.
    Bypassed,
    /// Let through without a second factor: the browser was remembered
    /// after a full sign-in and the matching rule still allows it.
    /// Recorded on accepted sign-ins only.
    RememberedDevice,
    /// The password (the console's first factor) was wrong.
    PasswordIncorrect,
    /// A passkey's signature counter went backwards: the credential may have been cloned.
    CredentialCloned,
    /// The passkey is not registered to this user (unknown, or removed).
    PasskeyUnknown,
    /// The passkey's answer (AuthenticationResponseJSON) could not be read.
    PasskeyMalformed,
    /// The passkey signed another challenge than the one issued for this sign-in.
    ChallengeMismatch,
    /// The passkey was used on a web origin the server does not allow (webauthn.origins).
    OriginMismatch,
    /// The passkey belongs to another relying party (RP ID).
    RpIdMismatch,
    /// The authenticator did not verify the user (PIN or biometric) where required.
    UserVerificationMissing,
    /// The passkey's signature does not verify with the registered public key.
    SignatureInvalid,
    /// The passkey's answer failed another WebAuthn check (flags, user handle, key).
    PasskeyInvalid,
    /// The user pressed the deny key on the phone call.
    CallDenied,
    /// The call rang out, went to voicemail, or got no key in time.
    CallUnanswered,
    /// The phone was busy (SIP 486 or 600) or declined the call (603).
    CallBusy,
    /// The call could not be placed (the SIP status is in the audit record).
    CallFailed,
    /// A sign-in rule (named in the audit record) refuses this sign-in.
    DeniedByRule,
    /// Let through without a second factor by a `skip_second_factor` rule
    /// (a trusted network), named in the audit record. Accepted sign-ins only.
    TrustedNetwork,
}

impl Reason {
    pub const ALL: [Reason; 38] = [
        Reason::CodeInvalid,
        Reason::CodeMalformed,
        Reason::CodeReused,
        Reason::UserLockedOut,
        Reason::UserDisabled,
        Reason::UnknownUser,
        Reason::NoMethod,
        Reason::NoDevice,
        Reason::PushRateLimited,
        Reason::PushDenied,
        Reason::FraudReported,
        Reason::PushTimeout,
        Reason::NumberMismatch,
        Reason::PinIncorrect,
        Reason::CodeExpired,
        Reason::AttemptsExceeded,
        Reason::CodeRateLimited,
        Reason::ChallengeExpired,
        Reason::MethodNotAllowed,
        Reason::NotEnrolled,
        Reason::Bypassed,
        Reason::RememberedDevice,
        Reason::PasswordIncorrect,
        Reason::CredentialCloned,
        Reason::PasskeyUnknown,
        Reason::PasskeyMalformed,
        Reason::ChallengeMismatch,
        Reason::OriginMismatch,
        Reason::RpIdMismatch,
        Reason::UserVerificationMissing,
        Reason::SignatureInvalid,
        Reason::PasskeyInvalid,
        Reason::CallDenied,
        Reason::CallUnanswered,
        Reason::CallBusy,
        Reason::CallFailed,
        Reason::DeniedByRule,
        Reason::TrustedNetwork,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Reason::CodeInvalid => "code_invalid",
            Reason::CodeMalformed => "code_malformed",
            Reason::CodeReused => "code_reused",
            Reason::UserLockedOut => "user_locked_out",
            Reason::UserDisabled => "user_disabled",
            Reason::UnknownUser => "unknown_user",
            Reason::NoMethod => "no_method",
            Reason::NoDevice => "no_device",
            Reason::PushRateLimited => "push_rate_limited",
            Reason::PushDenied => "push_denied",
            Reason::FraudReported => "fraud_reported",
            Reason::PushTimeout => "push_timeout",
            Reason::NumberMismatch => "number_mismatch",
            Reason::PinIncorrect => "pin_incorrect",
            Reason::CodeExpired => "code_expired",
            Reason::AttemptsExceeded => "attempts_exceeded",
            Reason::CodeRateLimited => "code_rate_limited",
            Reason::ChallengeExpired => "challenge_expired",
            Reason::MethodNotAllowed => "method_not_allowed",
            Reason::NotEnrolled => "not_enrolled",
            Reason::Bypassed => "bypassed",
            Reason::RememberedDevice => "remembered_device",
            Reason::PasswordIncorrect => "password_incorrect",
            Reason::CredentialCloned => "credential_cloned",
            Reason::PasskeyUnknown => "passkey_unknown",
            Reason::PasskeyMalformed => "passkey_malformed",
            Reason::ChallengeMismatch => "challenge_mismatch",
            Reason::OriginMismatch => "origin_mismatch",
            Reason::RpIdMismatch => "rp_id_mismatch",
            Reason::UserVerificationMissing => "user_verification_missing",
            Reason::SignatureInvalid => "signature_invalid",
            Reason::PasskeyInvalid => "passkey_invalid",
            Reason::CallDenied => "call_denied",
            Reason::CallUnanswered => "call_unanswered",
            Reason::CallBusy => "call_busy",
            Reason::CallFailed => "call_failed",
            Reason::DeniedByRule => "denied_by_rule",
            Reason::TrustedNetwork => "trusted_network",
        }
    }

    pub fn parse(text: &str) -> Option<Reason> {
        Reason::ALL.into_iter().find(|r| r.as_str() == text)
    }

    /// What the person signing in is told, in plain words.
    pub fn message(self) -> &'static str {
        match self {
            Reason::CodeInvalid => "The code is wrong or has expired. Enter the current code from your authenticator.",
            Reason::CodeMalformed => "The code must be 6 to 8 digits.",
            Reason::CodeReused => "This code was already used. Wait for the next code and try again.",
            Reason::UserLockedOut => "Too many wrong codes: the account is locked for a while. Try later or ask your administrator to unlock it.",
            Reason::UserDisabled => "The account is disabled. Ask your administrator.",
            Reason::UnknownUser => "No user has that name.",
            Reason::NoMethod => "No verification method is set up for this user. Ask your administrator to enrol one.",
            Reason::NoDevice => "No authenticator app is activated for this user. Use a code, or activate the app first.",
            Reason::PushRateLimited => "Too many sign-in requests were sent to your phone. Wait a few minutes and try again.",
            Reason::PushDenied => "The sign-in was denied on your phone.",
            Reason::FraudReported => "The sign-in was reported as fraud; the account is blocked. Contact your administrator.",
            Reason::PushTimeout => "The sign-in request on your phone was not answered in time. Try again.",
            Reason::NumberMismatch => "The number chosen on your phone did not match the one shown at sign-in.",
            Reason::PinIncorrect => "The PIN entered on your phone was wrong.",
            Reason::CodeExpired => "The code has expired. Ask for a new one.",
            Reason::AttemptsExceeded => "Too many wrong codes. Ask for a new code.",
            Reason::CodeRateLimited => "Too many codes were sent recently. Wait a while and try again.",
            Reason::ChallengeExpired => "This sign-in took too long or was already answered: start again.",
            Reason::MethodNotAllowed => "This verification method is not allowed for your account. Use your usual method, or ask your administrator.",
            Reason::NotEnrolled => "No second factor is set up for this user yet; let through while enrolment is not required.",
            Reason::Bypassed => "Signed in without a second factor: an administrator granted a one-time bypass.",
            Reason::RememberedDevice => "Signed in without a second factor: this browser was remembered after a full sign-in.",
            Reason::PasswordIncorrect => "The name or password is wrong.",
            Reason::CredentialCloned => "This passkey looks copied (its counter went backwards) and was refused. Contact your administrator.",
            Reason::PasskeyUnknown => "This passkey is not registered for this account. Use another one or register it first.",
            Reason::PasskeyMalformed => "The passkey's answer could not be read. Try again.",
            Reason::ChallengeMismatch => "The passkey answered another sign-in. Start again.",
            Reason::OriginMismatch => "This page is not allowed to use passkeys for this server.",
            Reason::RpIdMismatch => "This passkey belongs to another site.",
            Reason::UserVerificationMissing => "Your passkey must check your PIN or fingerprint. Try again and confirm on the device.",
            Reason::SignatureInvalid => "The passkey's signature is not valid. Try again.",
            Reason::PasskeyInvalid => "The passkey's answer was not accepted. Try again or use another method.",
            Reason::CallDenied => "The sign-in was denied on the phone call.",
            Reason::CallUnanswered => "The phone call was not answered, or no key was pressed in time. Try again.",
            Reason::CallBusy => "The phone was busy or declined the call. Try again later.",
            Reason::CallFailed => "The phone call could not be placed. Try another method, or ask your administrator.",
            Reason::DeniedByRule => "Signing in here, from this place or at this time, is not allowed for your account. Ask your administrator.",
            Reason::TrustedNetwork => "Signed in without a second factor: the sign-in came from a trusted network.",
        }
    }

    /// Whether this outcome counts towards the lockout threshold.
    pub fn counts_as_failure(self) -> bool {
        matches!(
            self,
            Reason::CodeInvalid
                | Reason::CodeMalformed
                | Reason::CodeReused
                | Reason::NumberMismatch
                | Reason::PinIncorrect
                | Reason::CodeExpired
                | Reason::AttemptsExceeded
                | Reason::PasswordIncorrect
                | Reason::CredentialCloned
                | Reason::PasskeyUnknown
                | Reason::PasskeyMalformed
                | Reason::ChallengeMismatch
                | Reason::OriginMismatch
                | Reason::RpIdMismatch
                | Reason::UserVerificationMissing
                | Reason::SignatureInvalid
                | Reason::PasskeyInvalid
        )
    }
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::Reason;

    #[test]
    fn codes_round_trip_and_match_serde() {
        for reason in Reason::ALL {
            assert_eq!(Reason::parse(reason.as_str()), Some(reason));
            let json = serde_json::to_string(&reason).expect("serialise");
            assert_eq!(json, format!("\"{}\"", reason.as_str()));
        }
    }

    #[test]
    fn every_code_is_documented() {
        let doc = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../docs/reason-codes.md"
        ))
        .expect("read docs/reason-codes.md");
        for reason in Reason::ALL {
            assert!(
                doc.contains(&format!("| `{}` |", reason.as_str())),
                "{reason} missing from docs/reason-codes.md"
            );
        }
    }
}
