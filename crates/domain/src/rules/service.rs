//! The rules kept in the store like the settings: one ordered JSON list
//! in `meta` (`sign_in_rules`), read into this node's [`RulesHandle`] at
//! start and every few seconds, the configuration's `[[rules]]` the first
//! values until a save.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::model::error::DomainError;
use crate::ports::MetaStore;
use crate::rules::evaluate::{RuleSet, RulesHandle};
use crate::rules::rule::Rule;

/// The meta key the rules are stored under.
pub const META_KEY: &str = "sign_in_rules";

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Stored {
    rules: Vec<Rule>,
}

/// Reading and changing the stored rules.
#[derive(Clone)]
pub struct RulesService {
    store: Arc<dyn MetaStore>,
    live: RulesHandle,
    defaults: Vec<Rule>,
}

impl RulesService {
    /// `defaults` come from the configuration file (used until a save);
    /// they are checked by the configuration's own validation.
    pub fn new(store: Arc<dyn MetaStore>, live: RulesHandle, defaults: Vec<Rule>) -> Self {
        Self {
            store,
            live,
            defaults,
        }
    }

    pub fn handle(&self) -> &RulesHandle {
        &self.live
    }

    /// The rules in force on this node, in order.
    pub fn list(&self) -> Vec<Rule> {
        self.live.current().rules().cloned().collect()
    }

    pub fn get(&self, name: &str) -> Result<Rule, DomainError> {
        self.list()
            .into_iter()
            .find(|r| r.name.eq_ignore_ascii_case(name))
            .ok_or_else(|| DomainError::not_found("rule", name))
    }

    /// Reads the stored rules into the live handle. Run at start and every few seconds.
    pub async fn refresh(&self) -> Result<usize, DomainError> {
        let rules = self.stored().await?;
        let set = RuleSet::new(&rules).map_err(|e| {
            DomainError::invalid("rules", format!("the stored rules do not check: {e}"))
        })?;
        let count = set.len();
        let changed = {
            let now = self.live.current();
            now.len() != set.len() || now.rules().zip(set.rules()).any(|(a, b)| a != b)
        };
        if changed {
            self.live.set(set);
        }
        Ok(count)
    }

    /// Adds `rule` at `position` (0 is first; `None`: last, before the default).
    pub async fn add(&self, rule: Rule, position: Option<usize>) -> Result<Rule, DomainError> {
        rule.compile()?;
        let mut rules = self.stored().await?;
        if rules
            .iter()
            .any(|r| r.name.eq_ignore_ascii_case(&rule.name))
        {
            return Err(DomainError::Conflict(format!(
                "a rule named '{}' already exists: pick another name or update it",
                rule.name
            )));
        }
        let at = position.unwrap_or(rules.len()).min(rules.len());
        rules.insert(at, rule.clone());
        self.save(rules).await?;
        Ok(rule)
    }

    /// Replaces the rule named `name` (which may get a new name), in place
    /// or at `position`.
    pub async fn update(
        &self,
        name: &str,
        rule: Rule,
        position: Option<usize>,
    ) -> Result<Rule, DomainError> {
        rule.compile()?;
        let mut rules = self.stored().await?;
        let at = index_of(&rules, name)?;
        let clash = rules
            .iter()
            .enumerate()
            .any(|(i, r)| i != at && r.name.eq_ignore_ascii_case(&rule.name));
        if clash {
            return Err(DomainError::Conflict(format!(
                "a rule named '{}' already exists: pick another name",
                rule.name
            )));
        }
        rules.remove(at);
        let to = position.unwrap_or(at).min(rules.len());
        rules.insert(to, rule.clone());
        self.save(rules).await?;
        Ok(rule)
    }

    /// Moves the rule named `name` to `position` (0 is first).
    pub async fn move_to(&self, name: &str, position: usize) -> Result<Vec<Rule>, DomainError> {
        let mut rules = self.stored().await?;
        let at = index_of(&rules, name)?;
        let rule = rules.remove(at);
        rules.insert(position.min(rules.len()), rule);
        self.save(rules.clone()).await?;
        Ok(rules)
    }

    pub async fn remove(&self, name: &str) -> Result<(), DomainError> {
        let mut rules = self.stored().await?;
        let at = index_of(&rules, name)?;
        rules.remove(at);
        self.save(rules).await
    }

    async fn stored(&self) -> Result<Vec<Rule>, DomainError> {
        Ok(match self.store.get_meta(META_KEY).await? {
            Some(bytes) => {
                serde_json::from_slice::<Stored>(&bytes)
                    .map_err(|e| {
                        DomainError::invalid("rules", format!("the stored rules do not parse: {e}"))
                    })?
                    .rules
            }
            None => self.defaults.clone(),
        })
    }

    /// Stores `rules`; this node obeys them at once, the others at their next refresh.
    async fn save(&self, rules: Vec<Rule>) -> Result<(), DomainError> {
        let set = RuleSet::new(&rules)?;
        let bytes = serde_json::to_vec(&Stored { rules })
            .map_err(|e| DomainError::invalid("rules", e.to_string()))?;
        self.store.put_meta(META_KEY, &bytes).await?;
        tracing::info!(rules = set.len(), "sign-in rules saved");
        self.live.set(set);
        Ok(())
    }
}

fn index_of(rules: &[Rule], name: &str) -> Result<usize, DomainError> {
    rules
        .iter()
        .position(|r| r.name.eq_ignore_ascii_case(name))
        .ok_or_else(|| DomainError::not_found("rule", name))
}
