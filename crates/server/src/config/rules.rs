//! `[[verify.rules]]` tables: the sign-in rules' first values, used until
//! a rule is saved through the console, the API or the CLI (docs/policy.md).

use std::collections::BTreeMap;

use countersign_domain::rules::{Rule, RuleSet};
use toml::Value;

pub fn read(values: &BTreeMap<&'static str, Value>, problems: &mut Vec<String>) -> Vec<Rule> {
    let Some(tables) = values.get("verify.rules").and_then(Value::as_array) else {
        return Vec::new();
    };
    let mut rules = Vec::new();
    for (i, table) in tables.iter().enumerate() {
        match table.clone().try_into::<Rule>() {
            Ok(rule) => rules.push(rule),
            Err(e) => problems.push(format!("verify.rules[{i}]: {}", e.message())),
        }
    }
    if let Err(e) = RuleSet::new(&rules) {
        problems.push(format!("verify.rules: {e}"));
        return Vec::new();
    }
    rules
}
