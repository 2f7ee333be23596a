//! OATH codes through the Verifier: accepted, rejected, single use,
//! asked for when none came.

use countersign_domain::{Method, Reason, Step};
use countersign_testkit::engine::{Audited, EngineHarness};

use crate::{accepted, is_otp_challenge, rejected, AttemptAt};

#[tokio::test]
async fn the_current_code_is_accepted() {
    let engine = EngineHarness::new().await;
    engine.user("alice").await;
    let token = engine.totp("alice").await;
    let attempt = engine.attempt_with_code("alice", &engine.code_now(&token));
    assert_eq!(
        engine.start(&attempt).await,
        accepted(Method::Otp, &token.id)
    );
    assert_eq!(engine.trail("alice").await, vec![Audited::accepted("otp")]);
}

#[tokio::test]
async fn a_wrong_code_is_rejected_code_invalid_and_counted() {
    let engine = EngineHarness::new().await;
    engine.user("bob").await;
    let token = engine.totp("bob").await;
    let attempt = engine.attempt_with_code("bob", &engine.wrong_code(&token));
    assert_eq!(engine.start(&attempt).await, rejected(Reason::CodeInvalid));
    assert_eq!(engine.failures("bob").await, 1);
    let malformed = engine.attempt_with_code("bob", "12ab");
    assert_eq!(
        engine.start(&malformed).await,
        rejected(Reason::CodeMalformed)
    );
    assert_eq!(engine.failures("bob").await, 2);
    let expected = vec![
        Audited::rejected("otp", "code_invalid"),
        Audited::rejected("otp", "code_malformed"),
    ];
    assert_eq!(engine.trail("bob").await, expected);
}

#[tokio::test]
async fn a_code_is_accepted_once_then_refused_code_reused() {
    let engine = EngineHarness::new().await;
    engine.user("carol").await;
    let token = engine.totp("carol").await;
    let attempt = engine.attempt_with_code("carol", &engine.code_now(&token));
    assert_eq!(
        engine.start(&attempt).await,
        accepted(Method::Otp, &token.id)
    );
    assert_eq!(engine.start(&attempt).await, rejected(Reason::CodeReused));
    assert_eq!(engine.failures("carol").await, 1, "a replay counts");
    let expected = vec![
        Audited::accepted("otp"),
        Audited::rejected("otp", "code_reused"),
    ];
    assert_eq!(engine.trail("carol").await, expected);
}

#[tokio::test]
async fn otp_without_a_code_asks_for_one_and_without_a_token_is_no_method() {
    let engine = EngineHarness::new().await;
    engine.user("dave").await;
    engine.totp("dave").await;
    let step = engine
        .start(&engine.attempt("dave").naming(Method::Otp))
        .await;
    assert!(is_otp_challenge(&step), "{step:?}");
    assert_eq!(
        engine.trail("dave").await,
        vec![],
        "a challenge decides nothing"
    );
    engine.user("erin").await;
    let step = engine
        .start(&engine.attempt("erin").naming(Method::Otp))
        .await;
    assert_eq!(
        step,
        Step::Rejected {
            reason: Reason::NoMethod
        }
    );
    let expected = vec![Audited::rejected("otp", "no_method")];
    assert_eq!(engine.trail("erin").await, expected);
}
