//! Phone calls: pending like a push, settled by how the call ended (the
//! telephone is the harness's in-memory [`Phones`]; the real SIP path is
//! tested in crates/server/tests/voice_*.rs).

use std::time::Duration;

use countersign_domain::methods::call::CallPolicy;
use countersign_domain::methods::sends::SendPolicy;
use countersign_domain::model::user::UserPatch;
use countersign_domain::ports::CallEnd;
use countersign_domain::{DoorRules, Method, Reason, Step};
use countersign_testkit::engine::{Audited, EngineHarness, EnginePolicies};

use crate::{rejected, AttemptAt};

const PHONE: &str = "+15550001111";

/// Starts a call for `username`: its transaction.
async fn pending_call(engine: &EngineHarness, username: &str) -> String {
    let attempt = engine.attempt(username).naming(Method::Call);
    match engine.start(&attempt).await {
        Step::Pending {
            transaction_id,
            method: Method::Call,
            number: None,
            prompt,
        } => {
            assert!(prompt.contains("call"), "{prompt}");
            assert!(transaction_id.starts_with("cal_"), "{transaction_id}");
            transaction_id
        }
        other => panic!("expected a pending call, got {other:?}"),
    }
}

/// Waits (in real time: the call settles on a spawned task) for the decision.
async fn decided(engine: &EngineHarness, id: &str) -> Step {
    engine
        .signin
        .wait(id, Duration::from_secs(5), &DoorRules::default())
        .await
        .expect("signin.wait")
        .expect("the transaction exists")
}

/// The user's trail once it holds `n` records: a call's record is written
/// just after its waiters wake.
async fn trail(engine: &EngineHarness, username: &str, n: usize) -> Vec<Audited> {
    for _ in 0..100 {
        let trail = engine.trail(username).await;
        if trail.len() >= n {
            return trail;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    engine.trail(username).await
}

fn accepted_call() -> Step {
    Step::Accepted {
        method: Some(Method::Call),
        credential: None,
        reason: None,
    }
}

#[tokio::test]
async fn a_call_answered_with_pound_is_accepted_and_dials_the_voice_phone_first() {
    let engine = EngineHarness::new().await;
    engine.user_with_phone("alice", PHONE).await;
    engine.calls.hold();
    let id = pending_call(&engine, "alice").await;
    let waited = engine.wait(&id, &DoorRules::default()).await;
    assert!(
        matches!(
            waited,
            Step::Pending {
                method: Method::Call,
                ..
            }
        ),
        "ringing: {waited:?}"
    );
    assert!(engine.calls.end(CallEnd::Keys("#".into())));
    assert_eq!(decided(&engine, &id).await, accepted_call());
    trail(&engine, "alice", 1).await;
    let patch = UserPatch {
        voice_phone: Some(Some("47 11".into())),
        ..UserPatch::default()
    };
    engine.accounts.update_user("alice", patch).await.unwrap();
    engine.calls.next(CallEnd::Keys("#".into()));
    let second = pending_call(&engine, "alice").await;
    assert_eq!(decided(&engine, &second).await, accepted_call());
    let numbers: Vec<String> = engine
        .calls
        .orders()
        .iter()
        .map(|o| o.number.clone())
        .collect();
    assert_eq!(numbers, vec![PHONE.to_string(), "4711".to_string()]);
    let expected = vec![Audited::accepted("call"), Audited::accepted("call")];
    assert_eq!(trail(&engine, "alice", 2).await, expected);
    assert!(
        engine.phones.requests().is_empty(),
        "no device was asked, and a device cannot see the call"
    );
}

#[tokio::test]
async fn the_ends_of_a_call_that_are_refusals() {
    let engine = EngineHarness::new().await;
    engine.user_with_phone("bob", PHONE).await;
    let cases = [
        (CallEnd::Unanswered, Reason::CallUnanswered),
        (CallEnd::NoKey, Reason::CallUnanswered),
        (CallEnd::Busy, Reason::CallBusy),
        (CallEnd::Declined, Reason::CallBusy),
        (CallEnd::Keys("5#".into()), Reason::CallDenied),
        (
            CallEnd::Failed {
                status: Some(503),
                reason: "Service Unavailable".into(),
            },
            Reason::CallFailed,
        ),
    ];
    let mut expected = Vec::new();
    for (end, reason) in cases {
        engine.advance(3601); // past the send limits' window
        engine.calls.next(end.clone());
        let id = pending_call(&engine, "bob").await;
        assert_eq!(decided(&engine, &id).await, rejected(reason), "{end:?}");
        expected.push(Audited::rejected("call", reason.as_str()));
        assert_eq!(trail(&engine, "bob", expected.len()).await, expected);
    }
    let failed = engine
        .store
        .query_audit(&countersign_domain::model::audit::AuditQuery {
            username: Some("bob".into()),
            reason: Some("call_failed".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        failed[0].token_id.as_deref(),
        Some("sip:503"),
        "the SIP status is audited"
    );
}

#[tokio::test]
async fn pin_mode_checks_the_pin_and_the_deny_code_denies() {
    let policies = EnginePolicies {
        calls: CallPolicy {
            deny_code: "9#".into(),
            ..CallPolicy::default()
        },
        ..EnginePolicies::default()
    };
    let engine = EngineHarness::with(policies).await;
    engine.user_with_phone("carol", PHONE).await;
    engine
        .accounts
        .set_pin("carol", Some("1234"))
        .await
        .unwrap();
    let cases = [
        ("1234#", None),
        ("4321#", Some(Reason::PinIncorrect)),
        ("#", Some(Reason::PinIncorrect)),
        ("9#", Some(Reason::CallDenied)),
    ];
    for (keys, verdict) in cases {
        engine.calls.next(CallEnd::Keys(keys.into()));
        let id = pending_call(&engine, "carol").await;
        let want = verdict.map_or_else(accepted_call, rejected);
        assert_eq!(decided(&engine, &id).await, want, "{keys}");
    }
    assert!(
        engine.calls.orders().iter().all(|o| o.pin_mode),
        "every call asked for the PIN"
    );
}

#[tokio::test]
async fn the_fraud_code_reports_fraud_and_blocks_the_user() {
    let engine = EngineHarness::new().await;
    engine.user_with_phone("dave", PHONE).await;
    engine.calls.next(CallEnd::Keys("0#".into()));
    let id = pending_call(&engine, "dave").await;
    assert_eq!(decided(&engine, &id).await, rejected(Reason::FraudReported));
    let user = engine.accounts.user("dave").await.unwrap();
    assert!(
        !user.enabled,
        "push.fraud_blocks_user blocks on a call's fraud code too"
    );
    let next = engine
        .start(&engine.attempt("dave").naming(Method::Call))
        .await;
    assert_eq!(next, rejected(Reason::UserDisabled));
}

#[tokio::test]
async fn calls_count_in_the_send_limits_and_a_late_end_changes_nothing() {
    let policies = EnginePolicies {
        codes: countersign_domain::methods::codes::CodePolicy::default(),
        ..EnginePolicies::default()
    };
    let engine = EngineHarness::with(policies).await;
    engine.user_with_phone("erin", PHONE).await;
    let limit = SendPolicy::default().per_destination;
    for _ in 0..limit {
        engine.calls.next(CallEnd::Unanswered);
        let id = pending_call(&engine, "erin").await;
        decided(&engine, &id).await;
    }
    let over = engine
        .start(&engine.attempt("erin").naming(Method::Call))
        .await;
    assert_eq!(over, rejected(Reason::CodeRateLimited));
    assert_eq!(
        engine.calls.orders().len() as i64,
        limit,
        "no call placed over the limit"
    );
    // A call still ringing when its transaction expires is unanswered; its late end is ignored.
    engine.advance(3601);
    engine.calls.hold();
    let id = pending_call(&engine, "erin").await;
    engine.advance(CallPolicy::default().timeout_seconds() + 1);
    assert_eq!(
        decided(&engine, &id).await,
        rejected(Reason::CallUnanswered)
    );
    assert!(engine.calls.end(CallEnd::Keys("#".into())));
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        decided(&engine, &id).await,
        rejected(Reason::CallUnanswered)
    );
}

#[tokio::test]
async fn call_is_a_method_of_users_with_a_phone_but_never_their_default_over_sms() {
    let engine = EngineHarness::new().await;
    engine.user_with_phone("fay", PHONE).await;
    let step = engine.start(&engine.attempt("fay")).await;
    assert!(
        matches!(
            step,
            Step::Challenge {
                method: Method::Sms,
                ..
            }
        ),
        "{step:?}"
    );
    let patch = UserPatch {
        default_method: Some(Some(Method::Call)),
        ..UserPatch::default()
    };
    engine.accounts.update_user("fay", patch).await.unwrap();
    engine.calls.next(CallEnd::Keys("#".into()));
    let step = engine.start(&engine.attempt("fay")).await;
    assert!(
        matches!(
            step,
            Step::Pending {
                method: Method::Call,
                ..
            }
        ),
        "{step:?}"
    );
    engine.user("gus").await;
    let step = engine
        .start(&engine.attempt("gus").naming(Method::Call))
        .await;
    assert_eq!(step, rejected(Reason::NoMethod), "no phone, no call");
}
