//! Which method runs: named, implied by a code (otp, or yubico for a
//! YubiKey's OTP), or the user's default; and when it may not.

use countersign_domain::model::user::UserPatch;
use countersign_domain::{DoorRules, Method, Reason, SignInPolicy, Step};
use countersign_testkit::engine::{Audited, EngineHarness, EnginePolicies};

use crate::{accepted, is_otp_challenge, rejected, transaction_of, AttemptAt};

const PHONE: &str = "+441632960001";

#[tokio::test]
async fn a_named_method_runs() {
    let engine = EngineHarness::new().await;
    engine.user_with_phone("alice", PHONE).await;
    engine.totp("alice").await;
    let step = engine
        .start(&engine.attempt("alice").naming(Method::Sms))
        .await;
    let (id, method) = transaction_of(&step);
    assert_eq!(method, Method::Sms);
    assert!(id.starts_with("chl_"), "{id}");
}

#[tokio::test]
async fn a_code_implies_otp_over_the_users_default() {
    let engine = EngineHarness::new().await;
    engine.user("bob").await;
    engine.device("bob").await; // push is bob's default
    let token = engine.totp("bob").await;
    let attempt = engine.attempt_with_code("bob", &engine.code_now(&token));
    assert_eq!(
        engine.start(&attempt).await,
        accepted(Method::Otp, &token.id)
    );
    assert!(engine.phones.requests().is_empty(), "no push was sent");
}

#[tokio::test]
async fn a_yubikeys_otp_implies_yubico() {
    let engine = EngineHarness::new().await;
    engine.user("carol").await;
    engine.totp("carol").await;
    let yubikey = engine.yubikey("carol").await;
    let attempt = engine.attempt_with_code("carol", &yubikey.touch());
    assert_eq!(
        engine.start(&attempt).await,
        accepted(Method::Yubico, &yubikey.id)
    );
    assert_eq!(engine.start(&attempt).await, rejected(Reason::CodeReused));
    let expected = vec![
        Audited::accepted("yubico"),
        Audited::rejected("yubico", "code_reused"),
    ];
    assert_eq!(engine.trail("carol").await, expected);
}

#[tokio::test]
async fn without_a_method_or_a_code_the_users_default_runs() {
    let engine = EngineHarness::new().await;
    engine.user("token-only").await;
    engine.totp("token-only").await;
    let step = engine.start(&engine.attempt("token-only")).await;
    assert!(is_otp_challenge(&step), "otp: {step:?}");

    engine.user_with_phone("phone-and-device", PHONE).await;
    engine.totp("phone-and-device").await;
    engine.device("phone-and-device").await;
    let step = engine.start(&engine.attempt("phone-and-device")).await;
    assert_eq!(transaction_of(&step).1, Method::Push, "push comes first");

    let patch = UserPatch {
        default_method: Some(Some(Method::Sms)),
        ..UserPatch::default()
    };
    engine
        .accounts
        .update_user("phone-and-device", patch)
        .await
        .unwrap();
    let step = engine.start(&engine.attempt("phone-and-device")).await;
    assert_eq!(transaction_of(&step).1, Method::Sms, "the default set wins");
}

#[tokio::test]
async fn a_method_outside_the_users_allowed_methods_is_refused_method_not_allowed() {
    let engine = EngineHarness::new().await;
    engine.user("dave").await;
    let token = engine.totp("dave").await;
    engine.device("dave").await;
    let patch = UserPatch {
        allowed_methods: Some(Some(vec![Method::Push])),
        ..UserPatch::default()
    };
    engine.accounts.update_user("dave", patch).await.unwrap();
    let attempt = engine.attempt_with_code("dave", &engine.code_now(&token));
    assert_eq!(
        engine.start(&attempt).await,
        rejected(Reason::MethodNotAllowed)
    );
    assert_eq!(engine.failures("dave").await, 0, "not counted");
    let expected = vec![Audited::rejected("otp", "method_not_allowed")];
    assert_eq!(engine.trail("dave").await, expected);
}

#[tokio::test]
async fn with_method_choice_off_only_the_default_runs_except_otp_where_the_door_falls_back() {
    let engine = EngineHarness::with(EnginePolicies {
        signin: SignInPolicy {
            allow_method_choice: false,
        },
        ..EnginePolicies::default()
    })
    .await;
    engine.user_with_phone("erin", PHONE).await;
    let token = engine.totp("erin").await;
    engine.device("erin").await; // push is the default
    let sms = engine.attempt("erin").naming(Method::Sms);
    assert_eq!(engine.start(&sms).await, rejected(Reason::MethodNotAllowed));
    let code = engine.attempt_with_code("erin", &engine.code_now(&token));
    assert_eq!(
        engine.start(&code).await,
        rejected(Reason::MethodNotAllowed)
    );
    let fallback = code.with_rules(DoorRules {
        require_user_match: true,
        fallback_otp: true,
    });
    assert_eq!(
        engine.start(&fallback).await,
        accepted(Method::Otp, &token.id)
    );
    let step = engine.start(&engine.attempt("erin")).await;
    assert!(
        matches!(
            step,
            Step::Pending {
                method: Method::Push,
                ..
            }
        ),
        "{step:?}"
    );
    let expected = vec![
        Audited::rejected("sms", "method_not_allowed"),
        Audited::rejected("otp", "method_not_allowed"),
        Audited::accepted("otp"),
    ];
    assert_eq!(engine.trail("erin").await, expected);
}
