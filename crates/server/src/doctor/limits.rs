//! `[limits]`: the work pool against the cores, and a line per guessable
//! door saying what it lets one address (or API key) try.

use async_trait::async_trait;
use countersign_domain::ports::diagnostics::Finding;
use countersign_domain::throttle::{cores, Door, DoorLimit};

use super::{Check, Doctor};
use crate::config::Config;

pub fn register(doctor: &mut Doctor) {
    doctor.register(Box::new(LimitsCheck));
}

struct LimitsCheck;

#[async_trait]
impl Check for LimitsCheck {
    async fn run(&self, config: &Config) -> Vec<Finding> {
        let limits = &config.limits;
        let mut findings = vec![pool(config)];
        for door in [
            Door::PortalSignIn,
            Door::SignInLink,
            Door::Activation,
            Door::Verify,
            Door::ContactChange,
        ] {
            findings.push(door_finding(door, limits.of(door)));
        }
        findings
    }
}

fn pool(config: &Config) -> Finding {
    let (hash, dir) = (config.limits.hash, config.limits.directory);
    let text = format!(
        "password checks: {} at once (+{} waiting) on {} core(s); directory binds: {} at once (+{} waiting); more are answered busy",
        hash.workers,
        hash.queue,
        cores(),
        dir.workers,
        dir.queue
    );
    if hash.workers > cores() {
        return Finding::warn(
            "limits.pool",
            format!("{text}: more hashing threads than cores can starve RADIUS and the API"),
            "set limits.hash_workers to 0 (one per core) or fewer",
        );
    }
    Finding::pass("limits.pool", text)
}

fn door_finding(door: Door, limit: DoorLimit) -> Finding {
    let check = format!("limits.{}", door.as_str());
    let who = if door == Door::Verify {
        "API key"
    } else {
        "address"
    };
    if limit.per_key == 0 {
        return Finding::warn(
            &check,
            format!(
                "{} are not limited per {who}: guessing is throttled only by lockout",
                door.noun()
            ),
            format!(
                "set the per-{who} limit for {} in [limits] (see docs/configuration.md)",
                door.as_str()
            ),
        );
    }
    let global = match limit.global {
        0 => String::new(),
        n => format!(", {n} a minute on this node in all"),
    };
    Finding::pass(
        &check,
        format!(
            "{} {} a minute per {who}{global}; more are answered 429",
            limit.per_key,
            door.noun()
        ),
    )
}
