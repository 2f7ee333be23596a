//! Sign-in rules in the engine (issue 28): evaluated once per attempt
//! before a method is chosen. A group rule narrows the methods; a trusted
//! network skips the second factor (`trusted_network`) only from there; a
//! deny rule by time window (the fixed clock) refuses `denied_by_rule`; a
//! rule scoped to one RADIUS client leaves the others alone. Every audit
//! record of a ruled decision names the rule.

use countersign_domain::model::group::Group;
use countersign_domain::rules::{NetworkOf, Outcome, Rule, Strength};
use countersign_domain::signin::Attempt;
use countersign_domain::{AuditQuery, Method, Reason, Source};
use countersign_testkit::engine::EngineHarness;

use crate::{accepted, is_otp_challenge, let_through, rejected, transaction_of, AttemptAt};

pub fn rule(name: &str, outcome: Outcome) -> Rule {
    Rule {
        name: name.into(),
        groups: vec![],
        doors: vec![],
        networks: vec![],
        network_of: NetworkOf::User,
        hours: None,
        time_zone: None,
        outcome,
        methods: vec![],
        strength: None,
        remember_device_days: None,
    }
}

async fn join(engine: &EngineHarness, group: &str, username: &str) {
    let existing = engine.store.group_by_name(group).await.expect("read");
    let group = match existing {
        Some(g) => g,
        None => {
            let g = Group::local(group, engine.now());
            engine.store.create_group(&g).await.expect("group");
            g
        }
    };
    let user = engine
        .store
        .user_by_name(username)
        .await
        .expect("read")
        .expect("user");
    engine
        .store
        .add_group_member(&group.id, &user.id)
        .await
        .expect("member");
}

/// The rule the user's last audit record names.
async fn last_rule(engine: &EngineHarness, username: &str) -> Option<String> {
    let query = AuditQuery {
        username: Some(username.into()),
        limit: 1,
        ..AuditQuery::default()
    };
    let records = engine.store.query_audit(&query).await.expect("audit");
    records.first().expect("a record").rule.clone()
}

fn from(attempt: Attempt, client: &str, network: &str) -> Attempt {
    Attempt {
        source: Source {
            client: Some(client.into()),
            address: Some("198.51.100.1".into()),
            rule: None,
        },
        network: Some(network.parse().expect("ip")),
        ..attempt
    }
}

#[tokio::test]
async fn group_rules_narrow_the_methods_each_group_refused_the_others() {
    let engine = EngineHarness::new().await;
    for name in ["ann", "ben"] {
        engine.user(name).await;
        engine.device(name).await;
    }
    let ann_token = engine.totp("ann").await;
    let ben_token = engine.totp("ben").await;
    join(&engine, "A", "ann").await;
    join(&engine, "B", "ben").await;
    let push_only = Rule {
        groups: vec!["a".into()],
        methods: vec![Method::Push],
        ..rule("a-push", Outcome::Allow)
    };
    let totp_only = Rule {
        groups: vec!["B".into()],
        methods: vec![Method::Otp],
        ..rule("b-totp", Outcome::Allow)
    };
    engine.rules.add(push_only, None).await.expect("add");
    engine.rules.add(totp_only, None).await.expect("add");

    // ann: push runs; her TOTP code is refused, naming the rule.
    let step = engine.start(&engine.attempt("ann")).await;
    assert_eq!(transaction_of(&step).1, Method::Push);
    let code = engine.attempt_with_code("ann", &engine.code_now(&ann_token));
    assert_eq!(
        engine.start(&code).await,
        rejected(Reason::MethodNotAllowed)
    );
    assert_eq!(last_rule(&engine, "ann").await.as_deref(), Some("a-push"));

    // ben: his default (push) is not his group's: otp is asked for; push named is refused.
    let step = engine.start(&engine.attempt("ben")).await;
    assert!(is_otp_challenge(&step), "{step:?}");
    let push = engine.attempt("ben").naming(Method::Push);
    assert_eq!(
        engine.start(&push).await,
        rejected(Reason::MethodNotAllowed)
    );
    let code = engine.attempt_with_code("ben", &engine.code_now(&ben_token));
    assert_eq!(
        engine.start(&code).await,
        accepted(Method::Otp, &ben_token.id)
    );
    assert_eq!(last_rule(&engine, "ben").await.as_deref(), Some("b-totp"));
}

#[tokio::test]
async fn a_trusted_network_skips_the_second_factor_only_from_there() {
    let engine = EngineHarness::new().await;
    engine.user("cat").await;
    engine.totp("cat").await;
    let office = Rule {
        networks: vec!["10.1.0.0/16".into()],
        ..rule("office", Outcome::SkipSecondFactor)
    };
    engine.rules.add(office, None).await.expect("add");
    let inside = from(engine.attempt("cat"), "radius:vpn", "10.1.2.3");
    assert_eq!(
        engine.start(&inside).await,
        let_through(Reason::TrustedNetwork)
    );
    assert_eq!(last_rule(&engine, "cat").await.as_deref(), Some("office"));
    let outside = from(engine.attempt("cat"), "radius:vpn", "203.0.113.9");
    assert!(is_otp_challenge(&engine.start(&outside).await));

    // The NAS's own address is not the user's unless the rule says so.
    let nas = Attempt {
        network: None,
        ..from(engine.attempt("cat"), "radius:vpn", "10.1.2.3")
    };
    let nas = Attempt {
        source: Source {
            address: Some("10.1.0.1".into()),
            ..nas.source.clone()
        },
        ..nas
    };
    assert!(
        is_otp_challenge(&engine.start(&nas).await),
        "the NAS is in 10.1/16, the user unknown"
    );
    let by_nas = Rule {
        networks: vec!["10.1.0.0/16".into()],
        network_of: NetworkOf::Door,
        ..rule("office-nas", Outcome::SkipSecondFactor)
    };
    engine.rules.add(by_nas, Some(0)).await.expect("add");
    assert_eq!(
        engine.start(&nas).await,
        let_through(Reason::TrustedNetwork)
    );
    assert_eq!(
        last_rule(&engine, "cat").await.as_deref(),
        Some("office-nas")
    );
}

#[tokio::test]
async fn a_deny_rule_by_time_window_follows_the_clock() {
    let engine = EngineHarness::new().await;
    engine.user("dan").await;
    let token = engine.totp("dan").await;
    // START is 2025-06-15 15:06:40 UTC; 17:06:40 in Berlin (summer time).
    let evenings = Rule {
        hours: Some("17:00-08:00".into()),
        time_zone: Some("Europe/Berlin".into()),
        ..rule("nights", Outcome::Deny)
    };
    engine.rules.add(evenings, None).await.expect("add");
    let code = engine.attempt_with_code("dan", &engine.code_now(&token));
    assert_eq!(engine.start(&code).await, rejected(Reason::DeniedByRule));
    assert_eq!(last_rule(&engine, "dan").await.as_deref(), Some("nights"));
    assert_eq!(
        engine.failures("dan").await,
        0,
        "a rule's refusal is not a failure"
    );
    // 15 hours on: 08:06 in Berlin, inside office hours.
    engine.advance(15 * 3600);
    let code = engine.attempt_with_code("dan", &engine.code_now(&token));
    assert_eq!(engine.start(&code).await, accepted(Method::Otp, &token.id));
    assert_eq!(last_rule(&engine, "dan").await, None, "no rule matched");
    // Unknown names are denied too, not let through by the door.
    let ghost = engine
        .attempt("ghost")
        .with_rules(countersign_domain::DoorRules {
            require_user_match: false,
            fallback_otp: false,
        });
    engine.advance(12 * 3600);
    assert_eq!(engine.start(&ghost).await, rejected(Reason::DeniedByRule));
}

#[tokio::test]
async fn a_rule_scoped_to_one_radius_client_leaves_the_others_alone() {
    let engine = EngineHarness::new().await;
    engine.user("eve").await;
    engine.totp("eve").await;
    let wifi = Rule {
        doors: vec!["radius:wifi".into()],
        ..rule("no-wifi", Outcome::Deny)
    };
    engine.rules.add(wifi, None).await.expect("add");
    let at_wifi = from(engine.attempt("eve"), "radius:wifi", "192.0.2.7");
    assert_eq!(engine.start(&at_wifi).await, rejected(Reason::DeniedByRule));
    let at_vpn = from(engine.attempt("eve"), "radius:vpn", "192.0.2.7");
    assert!(is_otp_challenge(&engine.start(&at_vpn).await));
    let at_api = engine.attempt("eve");
    assert!(is_otp_challenge(&engine.start(&at_api).await));
}

#[tokio::test]
async fn phishing_resistant_leaves_passkeys_only() {
    let engine = EngineHarness::new().await;
    engine.user("fay").await;
    let token = engine.totp("fay").await;
    join(&engine, "admins", "fay").await;
    let strong = Rule {
        groups: vec!["admins".into()],
        strength: Some(Strength::PhishingResistant),
        ..rule("admins-passkey", Outcome::Allow)
    };
    engine.rules.add(strong, None).await.expect("add");
    let code = engine.attempt_with_code("fay", &engine.code_now(&token));
    assert_eq!(
        engine.start(&code).await,
        rejected(Reason::MethodNotAllowed)
    );
    // No passkey yet: nothing is left to ask for.
    let plain = engine.attempt("fay");
    assert_eq!(
        engine.start(&plain).await,
        rejected(Reason::MethodNotAllowed)
    );
    let explained = engine
        .signin
        .explain(&plain, engine.now())
        .await
        .expect("explain");
    assert_eq!(explained.evaluation.rule.as_deref(), Some("admins-passkey"));
    assert_eq!(explained.evaluation.methods, Some(vec![Method::Webauthn]));
    assert_eq!(explained.groups, vec!["admins".to_string()]);
}
