//! Same words for every refusal before success, and the password checked
//! before a lock or a disabled account is revealed; methods whose channel
//! is not configured are never chosen.

use countersign_domain::model::channels::Channels;
use countersign_domain::signin::{Refusal, RefusalPolicy, GENERIC_REFUSAL};
use countersign_domain::{Method, Reason, Step, UserPatch};
use countersign_testkit::engine::{Audited, EngineHarness};

use crate::{is_otp_challenge, rejected, AttemptAt};

const PHONE: &str = "+441632960003";

#[tokio::test]
async fn a_wrong_password_for_a_locked_or_disabled_account_is_told_as_a_wrong_password() {
    let engine = EngineHarness::new().await; // 3 failures lock
    engine.user("alice").await;
    engine.totp("alice").await;
    let attempt = engine.attempt("alice");
    for _ in 0..3 {
        engine.signin.first_factor(&attempt, false).await.unwrap();
    }
    assert_eq!(engine.failures("alice").await, 3, "locked now");
    let step = engine.signin.first_factor(&attempt, false).await.unwrap();
    assert_eq!(
        step,
        rejected(Reason::PasswordIncorrect),
        "the lock is not told"
    );
    assert_eq!(
        engine.failures("alice").await,
        3,
        "no failure counted while locked"
    );
    engine.user("bob").await;
    engine.accounts.set_enabled("bob", false).await.unwrap();
    let bob = engine.attempt("bob");
    let step = engine.signin.first_factor(&bob, false).await.unwrap();
    assert_eq!(step, rejected(Reason::PasswordIncorrect), "nor is disabled");
    let step = engine.signin.first_factor(&bob, true).await.unwrap();
    assert_eq!(step, rejected(Reason::UserDisabled), "the owner learns it");
    // The exact reasons stay in the audit trail.
    let trail = engine.trail("alice").await;
    assert_eq!(trail[3], Audited::rejected("none", "user_locked_out"));
    let expected = vec![
        Audited::rejected("none", "user_disabled"),
        Audited::rejected("none", "user_disabled"),
    ];
    assert_eq!(engine.trail("bob").await, expected);
}

#[tokio::test]
async fn every_refusal_has_the_same_words_unless_generic_refusals_are_off() {
    let engine = EngineHarness::new().await;
    let words: Vec<String> = Reason::ALL
        .into_iter()
        .map(|r| engine.signin.refusal(r).words_with_code())
        .collect();
    assert!(words.iter().all(|w| w == GENERIC_REFUSAL), "{words:?}");
    let custom = engine.signin.clone().with_refusals(RefusalPolicy {
        generic: true,
        message: Some("Access denied.".into()),
    });
    assert_eq!(
        custom.refusal(Reason::UnknownUser).words(),
        "Access denied."
    );
    let told = engine.signin.clone().with_refusals(RefusalPolicy {
        generic: false,
        message: None,
    });
    assert_eq!(
        told.refusal(Reason::CodeInvalid),
        Refusal::Told(Reason::CodeInvalid)
    );
    assert!(told
        .refusal(Reason::UnknownUser)
        .words_with_code()
        .ends_with("(unknown_user)"));
}

#[tokio::test]
async fn a_phone_only_user_without_an_sms_gateway_gets_no_method_and_no_text() {
    let engine = EngineHarness::new().await;
    engine.user_with_phone("carol", PHONE).await;
    let signin = engine.signin.clone().with_channels(Channels {
        sms: false,
        email: true,
        voice: false,
    });
    let attempt = engine.attempt("carol");
    let step = signin.start(&attempt).await.unwrap();
    assert_eq!(step, rejected(Reason::NoMethod));
    let named = signin
        .start(&attempt.clone().naming(Method::Sms))
        .await
        .unwrap();
    assert_eq!(named, rejected(Reason::NoMethod), "named, likewise");
    engine.deliver().await;
    assert!(engine.messages.all().is_empty(), "nothing was queued");
    let expected = vec![
        Audited::rejected("sms", "no_method"),
        Audited::rejected("sms", "no_method"),
    ];
    assert_eq!(engine.trail("carol").await, expected);
}

#[tokio::test]
async fn an_undeliverable_default_gives_way_to_the_next_usable_method() {
    let engine = EngineHarness::new().await;
    engine.user_with_phone("dave", PHONE).await;
    engine.totp("dave").await;
    let patch = UserPatch {
        default_method: Some(Some(Method::Sms)),
        ..UserPatch::default()
    };
    engine.accounts.update_user("dave", patch).await.unwrap();
    let with_sms = engine.start(&engine.attempt("dave")).await;
    assert!(
        matches!(
            with_sms,
            Step::Challenge {
                method: Method::Sms,
                ..
            }
        ),
        "{with_sms:?}"
    );
    let signin = engine.signin.clone().with_channels(Channels {
        sms: false,
        email: false,
        voice: false,
    });
    let step = signin.start(&engine.attempt("dave")).await.unwrap();
    assert!(is_otp_challenge(&step), "the token instead: {step:?}");
}
