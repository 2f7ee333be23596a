//! Evaluating the rules for one sign-in: the first rule whose conditions
//! all hold decides; none holding is the default (today's behaviour). The
//! engine and the tester both call [`RuleSet::evaluate`].

use std::net::IpAddr;
use std::sync::{Arc, RwLock};

use serde::Serialize;

use crate::model::error::DomainError;
use crate::model::method::Method;
use crate::rules::door::{door_of, is_browser};
use crate::rules::rule::{Compiled, Outcome, Rule, Strength};
use crate::signin::Attempt;

/// What the rules say about a sign-in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evaluation {
    /// The rule that matched; `None`: the default.
    pub rule: Option<String>,
    pub outcome: Outcome,
    /// The methods left (strength applied); `None`: every method.
    pub methods: Option<Vec<Method>>,
    pub strength: Option<Strength>,
    /// Browser doors: how long a browser may be remembered after a full sign-in.
    pub remember_device_days: Option<u32>,
}

impl Default for Evaluation {
    fn default() -> Self {
        Evaluation {
            rule: None,
            outcome: Outcome::Allow,
            methods: None,
            strength: None,
            remember_device_days: None,
        }
    }
}

impl Evaluation {
    fn of(rule: &Compiled) -> Self {
        Evaluation {
            rule: Some(rule.rule.name.clone()),
            outcome: rule.rule.outcome,
            methods: rule.methods.clone(),
            strength: rule.rule.strength,
            remember_device_days: rule.rule.remember_device_days,
        }
    }

    /// Whether the rule leaves `method` usable.
    pub fn permits(&self, method: Method) -> bool {
        self.methods.as_ref().is_none_or(|m| m.contains(&method))
    }
}

/// Where and when a sign-in happens, as rules see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    /// The door in rule syntax, lower case (`radius:vpn`, `api:app`).
    pub door: String,
    /// The person's address (see [`crate::rules::NetworkOf::User`]).
    pub user_address: Option<IpAddr>,
    /// The door's peer: the NAS, the API caller, the LDAP client.
    pub door_address: Option<IpAddr>,
    /// Unix seconds.
    pub at: i64,
}

impl Subject {
    pub fn of(attempt: &Attempt, at: i64) -> Subject {
        let door = door_of(attempt.source.client.as_deref()).to_lowercase();
        let parse = |text: Option<&String>| text.and_then(|t| t.trim().parse::<IpAddr>().ok());
        let door_address = parse(attempt.source.address.as_ref());
        let user_address = attempt
            .network
            .or_else(|| parse(attempt.context.client_address.as_ref()))
            .or_else(|| door_address.filter(|_| is_browser(&door)));
        Subject {
            door,
            user_address,
            door_address,
            at,
        }
    }
}

/// The rules in order, checked.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    rules: Vec<Compiled>,
}

impl RuleSet {
    pub fn new(rules: &[Rule]) -> Result<RuleSet, DomainError> {
        let mut compiled: Vec<Compiled> = Vec::with_capacity(rules.len());
        for rule in rules {
            let next = rule.compile()?;
            if compiled
                .iter()
                .any(|c| c.name().eq_ignore_ascii_case(&rule.name))
            {
                return Err(DomainError::Conflict(format!(
                    "a rule named '{}' already exists: pick another name",
                    rule.name
                )));
            }
            compiled.push(next);
        }
        Ok(RuleSet { rules: compiled })
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    pub fn len(&self) -> usize {
        self.rules.len()
    }

    pub fn rules(&self) -> impl Iterator<Item = &Rule> {
        self.rules.iter().map(|c| &c.rule)
    }

    /// The first matching rule's evaluation, the default when none
    /// matches. `groups` are the user's (lower case); `None` when not read
    /// yet: then `None` comes back if a rule needs them to decide, and the
    /// caller reads them and asks again. Users nobody knows have no groups.
    pub fn evaluate(&self, subject: &Subject, groups: Option<&[String]>) -> Option<Evaluation> {
        for rule in &self.rules {
            let place = rule.matches_place(
                &subject.door,
                subject.user_address,
                subject.door_address,
                subject.at,
            );
            if !place {
                continue;
            }
            if rule.needs_groups() {
                match groups {
                    None => return None,
                    Some(groups) if !rule.matches_groups(groups) => continue,
                    Some(_) => {}
                }
            }
            return Some(Evaluation::of(rule));
        }
        Some(Evaluation::default())
    }
}

/// The rules every service of this process reads; cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct RulesHandle(Arc<RwLock<Arc<RuleSet>>>);

impl RulesHandle {
    pub fn new(set: RuleSet) -> Self {
        Self(Arc::new(RwLock::new(Arc::new(set))))
    }

    pub fn current(&self) -> Arc<RuleSet> {
        match self.0.read() {
            Ok(set) => set.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    pub fn set(&self, set: RuleSet) {
        match self.0.write() {
            Ok(mut current) => *current = Arc::new(set),
            Err(poisoned) => *poisoned.into_inner() = Arc::new(set),
        }
    }
}
