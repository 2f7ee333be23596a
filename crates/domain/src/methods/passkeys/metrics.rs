//! Passkey counters for `/metrics`: registrations and sign-in
//! verifications by result.

use crate::metrics::{LabelledCounter, MetricsSource};

/// `accepted`, then every reason a passkey verification can be refused with.
const VERIFY_RESULTS: &[&str] = &[
    "accepted",
    "credential_cloned",
    "passkey_unknown",
    "passkey_malformed",
    "challenge_mismatch",
    "origin_mismatch",
    "rp_id_mismatch",
    "user_verification_missing",
    "signature_invalid",
    "passkey_invalid",
    "code_reused",
    "challenge_expired",
    "user_disabled",
    "user_locked_out",
];

#[derive(Debug)]
pub struct PasskeyMetrics {
    registrations: LabelledCounter,
    verifications: LabelledCounter,
}

impl Default for PasskeyMetrics {
    fn default() -> Self {
        Self {
            registrations: LabelledCounter::new(&["accepted", "refused"]),
            verifications: LabelledCounter::new(VERIFY_RESULTS),
        }
    }
}

impl PasskeyMetrics {
    pub fn registered(&self, ok: bool) {
        self.registrations
            .add(if ok { "accepted" } else { "refused" });
    }

    /// One sign-in verification: `None` accepted, else the reason.
    pub fn verified(&self, reason: Option<crate::Reason>) {
        self.verifications
            .add(reason.map_or("accepted", |r| r.as_str()));
    }

    pub fn verifications(&self, result: &str) -> u64 {
        self.verifications.get(result)
    }
}

impl MetricsSource for PasskeyMetrics {
    fn render(&self, out: &mut String) {
        self.registrations.render(
            "countersign_passkey_registrations_total",
            "result",
            "Passkey registrations finished, by result.",
            out,
        );
        self.verifications.render(
            "countersign_passkey_verifications_total",
            "result",
            "Passkey sign-in verifications, by result (accepted or the reason refused).",
            out,
        );
    }
}
