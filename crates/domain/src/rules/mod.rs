//! Sign-in rules (issue 28): an ordered list of conditions (groups, doors,
//! networks, a time window) and outcomes (allow with methods or a
//! strength, deny, skip the second factor), evaluated once per attempt by
//! the engine before it chooses a method (`signin/rules.rs`), and by the
//! tester with the same code. Doors never look at rules. docs/policy.md.

pub mod door;
pub mod evaluate;
pub mod hours;
pub mod rule;
pub mod service;

pub use evaluate::{Evaluation, RuleSet, RulesHandle, Subject};
pub use rule::{NetworkOf, Outcome, Rule, Strength};
pub use service::RulesService;
