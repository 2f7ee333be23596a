//! The rules in the engine: evaluated once per attempt, before a method is
//! chosen; a deny refuses (`denied_by_rule`), a skip accepts without a
//! second factor (`trusted_network`), an allow may narrow the methods.
//! [`SignIn::explain`], the tester, runs the same steps without deciding.

use std::time::Instant;

use serde::Serialize;

use crate::model::error::DomainError;
use crate::model::group::group_key;
use crate::model::method::Method;
use crate::model::reason::Reason;
use crate::model::token::StoredToken;
use crate::model::user::{is_principal, User};
use crate::rules::{Evaluation, Outcome, RulesHandle, Subject};
use crate::signin::choose::Choice;
use crate::signin::{Attempt, SignIn, Step};

/// What the tester tells: the rule that applies and what the user would be asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Explanation {
    /// The user as stored; `None` when nobody has that name.
    pub user: Option<String>,
    pub groups: Vec<String>,
    /// The door in rule syntax.
    pub door: String,
    /// The person's address the rules matched, if any.
    pub address: Option<String>,
    #[serde(flatten)]
    pub evaluation: Evaluation,
    /// `rejected`, `accepted` (no second factor) or `second_factor`.
    pub decision: String,
    /// Why rejected or accepted.
    pub reason: Option<Reason>,
    /// The method the user would be asked for (`second_factor`).
    pub method: Option<Method>,
}

/// Where the engine goes after the gate.
pub(crate) enum Gate {
    Refuse(Reason),
    Skip,
    Go,
}

impl SignIn {
    /// The engine's clock (the tester's default time).
    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// The rules this engine obeys (`RulesService` keeps them fresh).
    pub fn with_rules(mut self, rules: RulesHandle) -> Self {
        self.rules = rules;
        self
    }

    /// Evaluates the rules for `attempt` at `at`; the user's groups are
    /// read only when a rule that could match names groups.
    pub(crate) async fn verdict(
        &self,
        attempt: &Attempt,
        user: Option<&User>,
        at: i64,
    ) -> Result<(Evaluation, Option<Vec<String>>), DomainError> {
        let set = self.rules.current();
        if set.is_empty() {
            return Ok((Evaluation::default(), None));
        }
        let subject = Subject::of(attempt, at);
        if let Some(found) = set.evaluate(&subject, None) {
            return Ok((found, None));
        }
        let groups = match user {
            Some(user) => self.store.groups_of_user(&user.id).await?,
            None => Vec::new(),
        };
        let keys: Vec<String> = groups.iter().map(|g| group_key(g)).collect();
        let found = set.evaluate(&subject, Some(&keys)).unwrap_or_default();
        Ok((found, Some(groups)))
    }

    /// What the rules make of a known, enabled user's attempt.
    pub(crate) fn gate(attempt: &Attempt, verdict: &Evaluation) -> Gate {
        match verdict.outcome {
            Outcome::Deny => Gate::Refuse(Reason::DeniedByRule),
            // Administrators always give their second factor (the console).
            Outcome::SkipSecondFactor if !attempt.administrator => Gate::Skip,
            _ => Gate::Go,
        }
    }

    /// `attempt` with the deciding rule in its source, so the audit names it.
    pub(crate) fn ruled(attempt: &Attempt, verdict: &Evaluation) -> Option<Attempt> {
        let rule = verdict.rule.as_ref()?;
        let mut ruled = attempt.clone();
        ruled.source.rule = Some(rule.clone());
        Some(ruled)
    }

    /// A known user's attempt after the rules: refused, skipped or chosen.
    pub(crate) async fn after_rules(
        &self,
        attempt: &Attempt,
        user: &User,
        verdict: &Evaluation,
        started: Instant,
    ) -> Result<Option<Step>, DomainError> {
        match Self::gate(attempt, verdict) {
            Gate::Refuse(reason) => {
                let method = attempt.named_method();
                let step = self.refuse(attempt, Some(user), method, reason, started);
                Ok(Some(step.await?))
            }
            Gate::Skip => {
                let reason = Reason::TrustedNetwork;
                let step = self.let_through(attempt, Some(user), reason, started);
                Ok(Some(step.await?))
            }
            Gate::Go => Ok(None),
        }
    }

    /// Someone the store does not know: a deny rule refuses them too;
    /// otherwise the door's rules decide (`unknown_user`, `not_enrolled`).
    pub(crate) async fn unknown(
        &self,
        attempt: &Attempt,
        started: Instant,
    ) -> Result<Step, DomainError> {
        let (verdict, _) = self.verdict(attempt, None, self.clock.now()).await?;
        let ruled = Self::ruled(attempt, &verdict);
        let attempt = ruled.as_ref().unwrap_or(attempt);
        if verdict.outcome == Outcome::Deny {
            let reason = Reason::DeniedByRule;
            return self
                .refuse(attempt, None, attempt.method, reason, started)
                .await;
        }
        self.unenrolled(attempt, None, started).await
    }

    /// The tester: which rule applies to `attempt` at `at` and what the user
    /// would be asked for, by the engine's own steps, deciding nothing.
    pub async fn explain(&self, attempt: &Attempt, at: i64) -> Result<Explanation, DomainError> {
        let subject = Subject::of(attempt, at);
        let found = match is_principal(&attempt.username) && !attempt.administrator {
            true => None,
            false => self.store.user_with_tokens(&attempt.username).await?,
        };
        let (verdict, groups) = self
            .verdict(attempt, found.as_ref().map(|(u, _)| u), at)
            .await?;
        let groups = match (&found, groups) {
            (_, Some(groups)) => groups,
            (Some((user, _)), None) => self.store.groups_of_user(&user.id).await?,
            (None, None) => Vec::new(),
        };
        let mut told = Explanation {
            user: found.as_ref().map(|(u, _)| u.username.clone()),
            groups,
            door: subject.door.clone(),
            address: subject.user_address.map(|a| a.to_string()),
            evaluation: verdict.clone(),
            decision: "rejected".into(),
            reason: None,
            method: None,
        };
        let (decision, reason, method) = self.outcome_for(attempt, found, &verdict, at).await?;
        told.decision = decision.into();
        told.reason = reason;
        told.method = method;
        Ok(told)
    }

    async fn outcome_for(
        &self,
        attempt: &Attempt,
        found: Option<(User, Vec<StoredToken>)>,
        verdict: &Evaluation,
        at: i64,
    ) -> Result<(&'static str, Option<Reason>, Option<Method>), DomainError> {
        let refused = |reason| Ok(("rejected", Some(reason), None));
        let Some((user, tokens)) = found else {
            if verdict.outcome == Outcome::Deny {
                return refused(Reason::DeniedByRule);
            }
            return match attempt.rules.require_user_match {
                true => refused(Reason::UnknownUser),
                false => Ok(("accepted", Some(Reason::NotEnrolled), None)),
            };
        };
        if !user.enabled {
            return refused(Reason::UserDisabled);
        }
        if user.is_locked(at) {
            return refused(Reason::UserLockedOut);
        }
        match Self::gate(attempt, verdict) {
            Gate::Refuse(reason) => return refused(reason),
            Gate::Skip => return Ok(("accepted", Some(Reason::TrustedNetwork), None)),
            Gate::Go => {}
        }
        if user.has_bypass(at) {
            return Ok(("accepted", Some(Reason::Bypassed), None));
        }
        Ok(match self.pick(attempt, &user, &tokens, verdict).await? {
            // As `SignIn::otp` answers: no token to ask a code of.
            Ok(method) if method.is_token() && attempt.code.is_none() && tokens.is_empty() => {
                ("rejected", Some(Reason::NoMethod), Some(method))
            }
            Ok(method) => ("second_factor", None, Some(method)),
            Err(Choice::Unenrolled) => ("accepted", Some(Reason::NotEnrolled), None),
            Err(Choice::Refused(method, reason)) => ("rejected", Some(reason), method),
        })
    }
}
