//! Who is signing in: unknown users, principals, disabled and locked
//! users, one-time bypasses (the rows before a method is chosen).

use countersign_domain::{DoorRules, Method, Reason};
use countersign_testkit::engine::{Audited, EngineHarness};

use crate::{accepted, is_otp_challenge, let_through, rejected, AttemptAt};

const STAGED: DoorRules = DoorRules {
    require_user_match: false,
    fallback_otp: false,
};

#[tokio::test]
async fn an_unknown_user_is_refused_unknown_user() {
    let engine = EngineHarness::new().await;
    let step = engine.start(&engine.attempt("nobody")).await;
    assert_eq!(step, rejected(Reason::UnknownUser));
    let expected = vec![Audited::rejected("none", "unknown_user")];
    assert_eq!(engine.trail("nobody").await, expected);
}

#[tokio::test]
async fn an_unknown_user_is_let_through_not_enrolled_where_the_door_allows() {
    let engine = EngineHarness::new().await;
    let attempt = engine.attempt_with_code("nobody", "123456");
    let step = engine.start(&attempt.with_rules(STAGED)).await;
    assert_eq!(step, let_through(Reason::NotEnrolled));
    let expected = vec![Audited::let_through("not_enrolled")];
    assert_eq!(engine.trail("nobody").await, expected);
}

#[tokio::test]
async fn a_user_without_a_method_is_refused_no_method_or_let_through_not_enrolled() {
    let engine = EngineHarness::new().await;
    engine.user("bob").await;
    let step = engine.start(&engine.attempt("bob")).await;
    assert_eq!(step, rejected(Reason::NoMethod));
    let step = engine
        .start(&engine.attempt("bob").with_rules(STAGED))
        .await;
    assert_eq!(step, let_through(Reason::NotEnrolled));
    let expected = vec![
        Audited::rejected("none", "no_method"),
        Audited::let_through("not_enrolled"),
    ];
    assert_eq!(engine.trail("bob").await, expected);
}

#[tokio::test]
async fn an_administrators_principal_is_unknown_to_every_door_but_the_console() {
    let engine = EngineHarness::new().await;
    let token = engine.administrator("root").await;
    let attempt = engine.attempt_with_code("admin/root", &engine.code_now(&token));
    assert_eq!(engine.start(&attempt).await, rejected(Reason::UnknownUser));
    let console = attempt.console();
    let step = engine.start(&console).await;
    assert_eq!(step, accepted(Method::Otp, &token.id));
    let expected = vec![
        Audited::rejected("none", "unknown_user"),
        Audited::accepted("otp"),
    ];
    assert_eq!(engine.trail("admin/root").await, expected);
}

#[tokio::test]
async fn a_disabled_user_is_refused_user_disabled_even_with_the_right_code() {
    let engine = EngineHarness::new().await;
    engine.user("carol").await;
    let token = engine.totp("carol").await;
    engine.accounts.set_enabled("carol", false).await.unwrap();
    let attempt = engine.attempt_with_code("carol", &engine.code_now(&token));
    assert_eq!(engine.start(&attempt).await, rejected(Reason::UserDisabled));
    assert_eq!(engine.failures("carol").await, 0, "not counted");
    let expected = vec![Audited::rejected("otp", "user_disabled")];
    assert_eq!(engine.trail("carol").await, expected);
}

#[tokio::test]
async fn failures_lock_the_user_at_the_threshold_until_the_lock_time_has_passed() {
    let engine = EngineHarness::new().await; // 3 failures lock for 1 minute
    engine.user("dave").await;
    let token = engine.totp("dave").await;
    let wrong = engine.attempt_with_code("dave", &engine.wrong_code(&token));
    for _ in 0..3 {
        assert_eq!(engine.start(&wrong).await, rejected(Reason::CodeInvalid));
    }
    assert_eq!(engine.failures("dave").await, 3);
    let right = engine.attempt_with_code("dave", &engine.code_now(&token));
    assert_eq!(engine.start(&right).await, rejected(Reason::UserLockedOut));
    engine.advance(59);
    assert_eq!(engine.start(&right).await, rejected(Reason::UserLockedOut));
    engine.advance(2);
    let right = engine.attempt_with_code("dave", &engine.code_now(&token));
    assert_eq!(engine.start(&right).await, accepted(Method::Otp, &token.id));
    assert_eq!(
        engine.failures("dave").await,
        0,
        "a success clears the count"
    );
    let mut expected = vec![Audited::rejected("otp", "code_invalid"); 3];
    expected.extend(vec![Audited::rejected("otp", "user_locked_out"); 2]);
    expected.push(Audited::accepted("otp"));
    assert_eq!(engine.trail("dave").await, expected);
}

#[tokio::test]
async fn the_lockout_threshold_is_read_from_the_settings_at_each_decision() {
    let engine = EngineHarness::new().await;
    engine.user("erin").await;
    let token = engine.totp("erin").await;
    engine
        .verifier
        .settings()
        .update(|s| s.lockout_threshold = 1);
    let wrong = engine.attempt_with_code("erin", &engine.wrong_code(&token));
    assert_eq!(engine.start(&wrong).await, rejected(Reason::CodeInvalid));
    let right = engine.attempt_with_code("erin", &engine.code_now(&token));
    assert_eq!(engine.start(&right).await, rejected(Reason::UserLockedOut));
}

#[tokio::test]
async fn a_one_time_bypass_lets_the_user_through_once_and_clears_the_failures() {
    let engine = EngineHarness::new().await;
    engine.user("frank").await;
    let token = engine.totp("frank").await;
    let wrong = engine.attempt_with_code("frank", &engine.wrong_code(&token));
    assert_eq!(engine.start(&wrong).await, rejected(Reason::CodeInvalid));
    engine
        .accounts
        .grant_bypass("frank", 300, "lost phone, ticket 42")
        .await
        .unwrap();
    let step = engine.start(&engine.attempt("frank")).await;
    assert_eq!(step, let_through(Reason::Bypassed));
    assert_eq!(engine.failures("frank").await, 0);
    let again = engine.start(&engine.attempt("frank")).await;
    assert!(is_otp_challenge(&again), "used up: {again:?}");
    let expected = vec![
        Audited::rejected("otp", "code_invalid"),
        Audited::let_through("bypassed"),
    ];
    assert_eq!(engine.trail("frank").await, expected);
}

#[tokio::test]
async fn a_bypass_past_its_window_is_not_taken() {
    let engine = EngineHarness::new().await;
    engine.user("grace").await;
    engine.totp("grace").await;
    engine
        .accounts
        .grant_bypass("grace", 60, "travel")
        .await
        .unwrap();
    engine.advance(60);
    let step = engine.start(&engine.attempt("grace")).await;
    assert!(is_otp_challenge(&step), "{step:?}");
}
