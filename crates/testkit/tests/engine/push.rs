//! Push: pending with a number, decided on the phone (approve, deny, wrong
//! number) or by the clock (timeout), and the fallback to a code.

use std::time::Duration;

use countersign_domain::methods::push::Answer;
use countersign_domain::{DoorRules, Method, Reason, Step};
use countersign_testkit::engine::{Audited, EngineHarness};

use crate::{accepted, is_otp_challenge, rejected, AttemptAt};

const FALLBACK: DoorRules = DoorRules {
    require_user_match: true,
    fallback_otp: true,
};

/// Starts a push for `username`: its transaction and number.
async fn pending_push(engine: &EngineHarness, username: &str) -> (String, i64) {
    match engine.start(&engine.attempt(username)).await {
        Step::Pending {
            transaction_id,
            method: Method::Push,
            number: Some(number),
            prompt,
        } => {
            assert!(prompt.contains(&number.to_string()), "{prompt}");
            (transaction_id, number)
        }
        other => panic!("expected a pending push with a number, got {other:?}"),
    }
}

#[tokio::test]
async fn a_push_is_pending_with_a_number_and_accepted_when_approved() {
    let engine = EngineHarness::new().await;
    engine.user("alice").await;
    let device = engine.device("alice").await;
    let (id, number) = pending_push(&engine, "alice").await;
    let sent = engine.phones.requests();
    assert_eq!(
        (sent.len(), sent[0].number),
        (1, Some(number)),
        "the phone got it"
    );
    let step = engine.wait(&id, &DoorRules::default()).await;
    assert!(
        matches!(step, Step::Pending { .. }),
        "not answered yet: {step:?}"
    );
    let verdict = engine
        .push
        .answer(&device, &id, Answer::Approve, Some(number), None);
    assert_eq!(verdict.await.unwrap(), None);
    let step = engine.wait(&id, &DoorRules::default()).await;
    assert_eq!(step, accepted(Method::Push, &device.id));
    assert_eq!(engine.trail("alice").await, vec![Audited::accepted("push")]);
}

#[tokio::test]
async fn a_denied_push_is_rejected_push_denied() {
    let engine = EngineHarness::new().await;
    engine.user("bob").await;
    let device = engine.device("bob").await;
    let (id, _) = pending_push(&engine, "bob").await;
    let verdict = engine.push.answer(&device, &id, Answer::Deny, None, None);
    assert_eq!(verdict.await.unwrap(), Some(Reason::PushDenied));
    let step = engine.wait(&id, &FALLBACK).await;
    assert_eq!(
        step,
        rejected(Reason::PushDenied),
        "a denial is no cue to fall back"
    );
    let expected = vec![Audited::rejected("push", "push_denied")];
    assert_eq!(engine.trail("bob").await, expected);
}

#[tokio::test]
async fn a_wrong_number_is_rejected_number_mismatch_and_counted() {
    let engine = EngineHarness::new().await;
    engine.user("carol").await;
    let device = engine.device("carol").await;
    let (id, number) = pending_push(&engine, "carol").await;
    let other = if number == 99 { 10 } else { number + 1 };
    let verdict = engine
        .push
        .answer(&device, &id, Answer::Approve, Some(other), None);
    assert_eq!(verdict.await.unwrap(), Some(Reason::NumberMismatch));
    let step = engine.wait(&id, &DoorRules::default()).await;
    assert_eq!(step, rejected(Reason::NumberMismatch));
    assert_eq!(engine.failures("carol").await, 1);
}

#[tokio::test]
async fn an_unanswered_push_times_out_or_falls_back_to_a_code() {
    let engine = EngineHarness::new().await; // push.timeout_seconds = 60
    engine.user("dave").await;
    engine.device("dave").await;
    engine.totp("dave").await;
    let (id, _) = pending_push(&engine, "dave").await;
    engine.advance(59);
    let step = engine.wait(&id, &DoorRules::default()).await;
    assert!(matches!(step, Step::Pending { .. }), "{step:?}");
    let step = engine.wait(&id, &FALLBACK).await;
    assert!(is_otp_challenge(&step), "the phone is silent: {step:?}");
    engine.advance(1);
    let step = engine.wait(&id, &DoorRules::default()).await;
    assert_eq!(step, rejected(Reason::PushTimeout));
    let step = engine.wait(&id, &FALLBACK).await;
    assert!(is_otp_challenge(&step), "timed out: {step:?}");
    let expected = vec![Audited::rejected("push", "push_timeout")];
    assert_eq!(engine.trail("dave").await, expected);
}

#[tokio::test]
async fn without_a_device_push_is_refused_no_device_or_falls_back_to_a_code() {
    let engine = EngineHarness::new().await;
    engine.user("erin").await;
    engine.totp("erin").await;
    let push = engine.attempt("erin").naming(Method::Push);
    assert_eq!(engine.start(&push).await, rejected(Reason::NoDevice));
    let step = engine.start(&push.with_rules(FALLBACK)).await;
    assert!(is_otp_challenge(&step), "{step:?}");
    let expected = vec![Audited::rejected("push", "no_device"); 2];
    assert_eq!(engine.trail("erin").await, expected);
}

#[tokio::test]
async fn a_waiting_door_is_woken_by_the_answer() {
    let engine = EngineHarness::new().await;
    engine.user("frank").await;
    let device = engine.device("frank").await;
    let (id, number) = pending_push(&engine, "frank").await;
    let (signin, waited) = (engine.signin.clone(), id.clone());
    let waiter = tokio::spawn(async move {
        let started = std::time::Instant::now();
        let wait = Duration::from_secs(5);
        let step = signin.wait(&waited, wait, &DoorRules::default()).await;
        (step.unwrap(), started.elapsed())
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    let verdict = engine
        .push
        .answer(&device, &id, Answer::Approve, Some(number), None);
    assert_eq!(verdict.await.unwrap(), None);
    let (step, waited) = waiter.await.unwrap();
    assert_eq!(step, Some(accepted(Method::Push, &device.id)));
    assert!(
        waited < Duration::from_secs(2),
        "woken, not timed out: {waited:?}"
    );
}
