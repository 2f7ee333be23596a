//! The first factor decided by the engine (console and portal passwords):
//! wrong passwords count towards the same lockout and audit trail.

use countersign_domain::{DoorRules, Reason};
use countersign_testkit::engine::{Audited, EngineHarness};

use crate::{is_otp_challenge, let_through, rejected, AttemptAt};

#[tokio::test]
async fn a_wrong_password_is_refused_password_incorrect_and_counted_towards_lockout() {
    let engine = EngineHarness::new().await; // 3 failures lock
    engine.user("alice").await;
    engine.totp("alice").await;
    let attempt = engine.attempt("alice");
    for failures in 1..=3 {
        let step = engine.signin.first_factor(&attempt, false).await.unwrap();
        assert_eq!(step, rejected(Reason::PasswordIncorrect));
        assert_eq!(engine.failures("alice").await, failures);
    }
    let step = engine.signin.first_factor(&attempt, true).await.unwrap();
    assert_eq!(
        step,
        rejected(Reason::UserLockedOut),
        "locked, whatever the password"
    );
    let mut expected = vec![Audited::rejected("none", "password_incorrect"); 3];
    expected.push(Audited::rejected("none", "user_locked_out"));
    assert_eq!(engine.trail("alice").await, expected);
}

#[tokio::test]
async fn a_right_password_starts_the_users_method() {
    let engine = EngineHarness::new().await;
    engine.user("bob").await;
    engine.totp("bob").await;
    let step = engine
        .signin
        .first_factor(&engine.attempt("bob"), true)
        .await
        .unwrap();
    assert!(is_otp_challenge(&step), "{step:?}");
    assert_eq!(engine.trail("bob").await, vec![], "nothing decided yet");
}

#[tokio::test]
async fn an_unknown_name_is_refused_like_a_wrong_password_unless_the_directory_vouched() {
    let engine = EngineHarness::new().await;
    let attempt = engine.attempt("ghost");
    let step = engine.signin.first_factor(&attempt, true).await.unwrap();
    assert_eq!(step, rejected(Reason::PasswordIncorrect));
    let staged = attempt.with_rules(DoorRules {
        require_user_match: false,
        fallback_otp: false,
    });
    let step = engine.signin.first_factor(&staged, true).await.unwrap();
    assert_eq!(step, let_through(Reason::NotEnrolled));
    let step = engine.signin.first_factor(&staged, false).await.unwrap();
    assert_eq!(step, rejected(Reason::PasswordIncorrect));
    let expected = vec![
        Audited::rejected("none", "password_incorrect"),
        Audited::let_through("not_enrolled"),
        Audited::rejected("none", "password_incorrect"),
    ];
    assert_eq!(engine.trail("ghost").await, expected);
}

#[tokio::test]
async fn the_console_asks_an_administrator_for_a_code_and_sees_no_users() {
    let engine = EngineHarness::new().await;
    engine.administrator("root").await;
    engine.user("carol").await;
    engine.totp("carol").await;
    let admin = engine.attempt("admin/root").console();
    let step = engine.signin.first_factor(&admin, true).await.unwrap();
    assert!(is_otp_challenge(&step), "{step:?}");
    let user = engine.attempt("carol").console();
    let step = engine.signin.first_factor(&user, true).await.unwrap();
    assert_eq!(step, rejected(Reason::PasswordIncorrect));
    let expected = vec![Audited::rejected("none", "password_incorrect")];
    assert_eq!(engine.trail("carol").await, expected);
}
