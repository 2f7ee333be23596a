//! Sign-in rule evaluation, in-process: 100 rules (groups, doors, networks,
//! time windows in zones, mixed), attempts from varied doors and addresses,
//! most rules naming other doors so that most attempts walk the whole list
//! to the default (the worst case). Prints nanoseconds
//! per attempt (`Subject::of` from the attempt, then `RuleSet::evaluate`
//! with the user's groups read). Target: 5 µs. docs/benchmarks.md.
//!
//! Usage: rules-eval [--rules N] [--attempts N]

use std::hint::black_box;
use std::time::Instant;

use countersign_domain::methods::push::PushContext;
use countersign_domain::rules::{NetworkOf, Outcome, Rule, RuleSet};
use countersign_domain::signin::{Attempt, Method};
use countersign_domain::Source;

fn rule(n: usize) -> Rule {
    let zones = ["Europe/Berlin", "America/New_York", "Asia/Tokyo", "UTC"];
    Rule {
        name: format!("rule-{n}"),
        groups: match n % 3 {
            0 => vec![format!("group-{n}"), "contractors".into()],
            _ => vec![],
        },
        // Most rules name a door no attempt comes through, so most attempts
        // walk the whole list: the worst case.
        doors: match n % 10 {
            9 => vec![],
            _ => vec![
                format!("radius:nas-{n}"),
                format!("api:app-{n}"),
                "ldap:*".into(),
            ],
        },
        networks: match n % 10 {
            9 => vec![
                format!("10.{}.0.0/16", n % 250),
                format!("2001:db8:{n:x}::/48"),
            ],
            _ => vec![],
        },
        network_of: NetworkOf::User,
        hours: n.is_multiple_of(2).then(|| "08:00-18:00".to_string()),
        time_zone: n
            .is_multiple_of(2)
            .then(|| zones[n % zones.len()].to_string()),
        outcome: [Outcome::Allow, Outcome::Deny, Outcome::SkipSecondFactor][n % 3],
        methods: match n % 3 {
            0 => vec![Method::Push, Method::Otp],
            _ => vec![],
        },
        strength: None,
        remember_device_days: None,
    }
}

fn attempt(i: usize) -> Attempt {
    let doors = [
        "radius:vpn",
        "portal",
        "vpn-app",
        "ldap:apps",
        "oidc:grafana",
    ];
    Attempt {
        username: format!("user{i}"),
        source: Source {
            client: Some(doors[i % doors.len()].into()),
            address: Some(format!("192.0.2.{}", i % 250)),
            rule: None,
        },
        context: PushContext {
            client_address: Some(format!("203.0.113.{}", i % 250)),
            ..PushContext::default()
        },
        ..Attempt::default()
    }
}

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let (count, attempts) = (arg("--rules", 100), arg("--attempts", 200_000));
    let rules: Vec<Rule> = (0..count).map(rule).collect();
    let set = match RuleSet::new(&rules) {
        Ok(set) => set,
        Err(e) => {
            eprintln!("the bench's rules do not check: {e}");
            std::process::exit(1);
        }
    };
    let tries: Vec<Attempt> = (0..1000).map(attempt).collect();
    let groups = vec!["staff".to_string(), "vpn-users".to_string()];
    let start_at = 1_796_644_800_i64;
    let mut decided = [0usize; 2];
    // Warm up, then measure.
    for round in [attempts / 10, attempts] {
        let started = Instant::now();
        decided = [0, 0];
        for i in 0..round {
            let subject = tries[i % tries.len()].subject(start_at + (i as i64 * 37) % 86_400);
            let found = match set.evaluate(&subject, None) {
                Some(found) => found,
                None => set.evaluate(&subject, Some(&groups)).unwrap_or_default(),
            };
            if i < 3 && round == attempts && std::env::var_os("RULES_EVAL_SHOW").is_some() {
                eprintln!("{:?} -> {:?}", subject, found.rule);
            }
            decided[usize::from(found.rule.is_some())] += 1;
            black_box(found);
        }
        let per = started.elapsed().as_nanos() as f64 / round as f64;
        if round == attempts {
            println!(
                "rules: {count}, attempts: {round}, {per:.0} ns per attempt ({:.2} µs), \
                 matched a rule: {}, the default: {}",
                per / 1000.0,
                decided[1],
                decided[0]
            );
        }
    }
    black_box(decided);
}
