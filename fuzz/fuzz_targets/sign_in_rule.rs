//! Sign-in rules from outside (`POST /api/v1/rules`, `[[verify.rules]]`,
//! the store's JSON): reading and checking a rule list never panics, and a
//! list that checks evaluates for any door and address without panicking;
//! door patterns, time windows and the tester's attempt likewise.
#![no_main]

use countersign_domain::rules::door::DoorPattern;
use countersign_domain::rules::hours::Window;
use countersign_domain::rules::{Rule, RuleSet};
use countersign_domain::signin::Attempt;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = DoorPattern::parse(&text);
    let _ = Window::parse(&text, Some(&text));
    let (first, rest) = text.split_once('\n').unwrap_or((&text, ""));
    let attempt = Attempt::at_door(first, rest, Some(first)).unwrap_or_default();
    let Ok(rules) = serde_json::from_slice::<Vec<Rule>>(data) else {
        return;
    };
    let Ok(set) = RuleSet::new(&rules) else {
        return;
    };
    for at in [i64::MIN, -1, 0, 1_796_644_800, i64::MAX] {
        let subject = attempt.subject(at);
        let groups = vec!["admins".to_string()];
        let first = set.evaluate(&subject, None);
        let then = set.evaluate(&subject, Some(&groups));
        assert!(then.is_some(), "with the groups read, the rules always decide");
        if let Some(first) = first {
            assert_eq!(Some(first), then, "groups change nothing when no rule needed them");
        }
    }
});
