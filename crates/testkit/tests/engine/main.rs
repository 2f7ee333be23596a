//! The sign-in engine in-process: one test per row of the decision table
//! in `docs/ARCHITECTURE.md` ("The sign-in engine"), each on a fresh SQLite
//! store with a fixed clock (`countersign_testkit::engine`). Every decision
//! is read back from the store's audit trail.
//!
//! Run: `cargo test -p countersign-testkit --test engine`.

mod call;
mod choice;
mod codes;
mod first_factor;
mod gate;
mod otp;
mod passkeys;
mod push;
mod refusals;
mod rules;
mod rules_agree;
mod sends;

use countersign_domain::{Attempt, DoorRules, Method, Reason, Step};

pub fn rejected(reason: Reason) -> Step {
    Step::Rejected { reason }
}

/// Accepted without a second factor (`not_enrolled`, `bypassed`).
pub fn let_through(reason: Reason) -> Step {
    Step::Accepted {
        method: None,
        credential: None,
        reason: Some(reason),
    }
}

pub fn accepted(method: Method, credential: &str) -> Step {
    Step::Accepted {
        method: Some(method),
        credential: Some(credential.to_string()),
        reason: None,
    }
}

/// Whether the step asks for an OATH code (no transaction to answer).
pub fn is_otp_challenge(step: &Step) -> bool {
    matches!(
        step,
        Step::Challenge {
            transaction_id: None,
            method: Method::Otp,
            ..
        }
    )
}

/// The transaction a challenge or pending step names, and its method.
pub fn transaction_of(step: &Step) -> (String, Method) {
    match step {
        Step::Challenge {
            transaction_id: Some(id),
            method,
            ..
        }
        | Step::Pending {
            transaction_id: id,
            method,
            ..
        } => (id.clone(), *method),
        other => panic!("expected a challenge or pending step, got {other:?}"),
    }
}

/// An attempt as another door makes it.
pub trait AttemptAt {
    /// With the door's rules (a RADIUS client's `require_user_match`, `fallback_otp`).
    fn with_rules(self, rules: DoorRules) -> Attempt;
    /// Naming the method, as the API's `method` does.
    fn naming(self, method: Method) -> Attempt;
    /// From the console, signing in an administrator's principal.
    fn console(self) -> Attempt;
}

impl AttemptAt for Attempt {
    fn with_rules(self, rules: DoorRules) -> Attempt {
        Attempt { rules, ..self }
    }

    fn naming(self, method: Method) -> Attempt {
        Attempt {
            method: Some(method),
            ..self
        }
    }

    fn console(self) -> Attempt {
        Attempt {
            administrator: true,
            ..self
        }
    }
}
