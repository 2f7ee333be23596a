//! The rules in the engine: evaluated once per attempt, before a method is
//! chosen; a deny refuses (`denied_by_rule`), a skip accepts without a
//! second factor (`trusted_network`), an allow may narrow the methods.
//! [`SignIn::explain`], the tester, runs the same steps without deciding.

use std::time::Instant;

use serde::Serialize;

use std::net::IpAddr;

use crate::model::audit::Source;
use crate::model::error::DomainError;
use crate::model::group::group_key;
use crate::model::method::Method;
use crate::model::reason::Reason;
use crate::model::token::StoredToken;
use crate::model::user::{is_principal, User};
use crate::rules::door::{door_of, is_browser, DoorPattern};
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
        let subject = attempt.subject(at);
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

    /// A usernameless passkey sign-in, once the passkey has named its user:
    /// a deny rule refuses it, and so does an allow rule whose methods leave
    /// passkeys out (`None`: the rules let it go on).
    pub(crate) async fn passkey_ruled(
        &self,
        user: &User,
        source: &Source,
        administrator: bool,
        started: Instant,
    ) -> Result<Option<Step>, DomainError> {
        let attempt = Attempt {
            username: user.username.clone(),
            method: Some(Method::Webauthn),
            source: source.clone(),
            administrator,
            ..Attempt::default()
        };
        let (verdict, _) = self.verdict(&attempt, Some(user), self.clock.now()).await?;
        let ruled = Self::ruled(&attempt, &verdict);
        let attempt = ruled.as_ref().unwrap_or(&attempt);
        let left_out = |methods: &Vec<Method>| !methods.contains(&Method::Webauthn);
        let reason = match Self::gate(attempt, &verdict) {
            Gate::Refuse(reason) => reason,
            _ if verdict.methods.as_ref().is_some_and(left_out) => Reason::MethodNotAllowed,
            _ => return Ok(None),
        };
        let method = Some(Method::Webauthn);
        Ok(Some(
            self.refuse(attempt, Some(user), method, reason, started)
                .await?,
        ))
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
        let subject = attempt.subject(at);
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

impl Attempt {
    /// The attempt `door` would make for `username` from `address`: the
    /// tester's input put where that door puts it (API, console, CLI).
    pub fn at_door(
        username: &str,
        door: &str,
        address: Option<&str>,
    ) -> Result<Attempt, DomainError> {
        let door = door.trim();
        if !matches!(DoorPattern::parse(door)?, DoorPattern::Exact(_)) {
            return Err(DomainError::invalid(
                "door",
                "name one door, not a kind with *",
            ));
        }
        let network = match address.map(str::trim).filter(|a| !a.is_empty()) {
            Some(text) => Some(text.parse::<IpAddr>().map_err(|_| {
                DomainError::invalid("address", format!("'{text}' is not an IP address"))
            })?),
            None => None,
        };
        let client = match door.split_once(':') {
            Some((kind, key)) if kind.eq_ignore_ascii_case("api") => key.to_string(),
            _ => door.to_string(),
        };
        Ok(Attempt {
            username: username.trim().to_string(),
            source: Source {
                client: Some(client),
                address: network.map(|a| a.to_string()),
                rule: None,
            },
            network,
            ..Attempt::default()
        })
    }
}

impl Attempt {
    /// Where and when this sign-in happens, as rules see it.
    pub fn subject(&self, at: i64) -> Subject {
        let door = door_of(self.source.client.as_deref()).to_lowercase();
        let parse = |text: Option<&String>| text.and_then(|t| t.trim().parse::<IpAddr>().ok());
        let door_address = parse(self.source.address.as_ref());
        let user_address = self
            .network
            .or_else(|| parse(self.context.client_address.as_ref()))
            .or_else(|| door_address.filter(|_| is_browser(&door)));
        Subject {
            door,
            user_address,
            door_address,
            at,
        }
    }
}
