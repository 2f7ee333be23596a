//! One write per decision: the port through which every verification's
//! effects reach the store together.
//!
//! The domain decides in memory and hands the store one [`DecisionWrite`]:
//! the token's compare-and-set (if a code matched), the change to the user's
//! failure count, and the audit record. Because the compare-and-set decides
//! which audit record is true (accepted, or `code_reused` with a counted
//! failure), the domain precomputes both outcomes; the store applies the
//! one that holds, in one transaction, and says which it was. Policy stays
//! here: the store only applies.

use crate::model::audit::AuditRecord;
use crate::model::user::FailureState;

/// The compare-and-set that makes a code single-use: record `used` (time
/// step or counter) as the token's last accepted one only if it is later.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenAdvance {
    pub token_id: String,
    pub used: i64,
    pub drift: i64,
}

/// A passkey's answer made single-use, in the decision's one write: the
/// challenge taken (unused and unexpired at the decision's time) and the
/// signature counter moved from `old` to `new` only if it is still `old`.
/// Either losing is a lost compare-and-set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasskeyAdvance {
    pub challenge_id: String,
    pub passkey_id: String,
    pub old: u32,
    pub new: u32,
    pub backup_state: bool,
}

/// What happens to the user's failure count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureChange {
    None,
    /// One more failure; reaching `threshold` locks the user for
    /// `lock_seconds` (a lock that has run out starts the count afresh).
    Count {
        threshold: i64,
        lock_seconds: i64,
    },
    /// Back to zero failures and no lock.
    Clear,
}

/// The effects of one outcome of a decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Effects {
    pub failure: FailureChange,
    pub audit: AuditRecord,
}

/// Everything one decision writes, committed in one transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecisionWrite {
    /// Whose failure count [`Effects::failure`] changes (none: unknown user).
    pub user_id: Option<String>,
    /// The decision's time (Unix seconds): `last_used_at`, lock expiry.
    pub now: i64,
    pub cas: Option<TokenAdvance>,
    /// A passkey's compare-and-set (never together with `cas`).
    pub passkey: Option<PasskeyAdvance>,
    /// Written when there is no compare-and-set or it won.
    pub effects: Effects,
    /// Written instead of `effects` when the compare-and-set lost;
    /// `None` writes `effects` either way.
    pub if_cas_lost: Option<Effects>,
}

impl DecisionWrite {
    /// A decision without a compare-and-set (push, SMS and email codes, refusals).
    pub fn plain(user_id: Option<String>, now: i64, effects: Effects) -> Self {
        Self {
            user_id,
            now,
            cas: None,
            passkey: None,
            effects,
            if_cas_lost: None,
        }
    }

    /// The same decision once its compare-and-set is known to have lost
    /// (a store that runs it apart): the lost outcome's effects, plainly.
    pub fn into_lost(self) -> Self {
        let effects = self.if_cas_lost.unwrap_or(self.effects);
        Self::plain(self.user_id, self.now, effects)
    }

    /// The effects that hold given the compare-and-set's result.
    pub fn effects_for(&self, cas_won: bool) -> &Effects {
        match (&self.if_cas_lost, cas_won) {
            (Some(lost), false) => lost,
            _ => &self.effects,
        }
    }
}

/// What the store found while committing a decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecisionResult {
    /// True when there was no compare-and-set, or this decision won it.
    pub cas_won: bool,
    /// The user's failure count and lock after a [`FailureChange::Count`].
    pub failure: Option<FailureState>,
    /// The position (`seq`) of the audit record the decision wrote.
    pub audit_seq: i64,
}
