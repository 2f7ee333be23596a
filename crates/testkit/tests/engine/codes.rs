//! Texted and emailed codes (a challenge answered with the code the
//! message carried) and two-way SMS (pending until the user replies).

use countersign_domain::model::messages::MessageKind;
use countersign_domain::model::user::NewUser;
use countersign_domain::signin::AnswerError;
use countersign_domain::{DoorRules, Method, Reason, Step};
use countersign_testkit::engine::{Audited, EngineHarness};

use crate::{accepted, rejected, transaction_of, AttemptAt};

const PHONE: &str = "+441632960002";

/// Starts `method` for `username` and returns the challenge's transaction
/// and the code the message to `recipient` carried.
async fn code_sent(
    engine: &EngineHarness,
    username: &str,
    method: Method,
    recipient: &str,
) -> (String, String) {
    let step = engine.start(&engine.attempt(username).naming(method)).await;
    let (id, named) = transaction_of(&step);
    assert_eq!(named, method);
    assert!(matches!(step, Step::Challenge { .. }), "{step:?}");
    engine.deliver().await;
    let message = engine
        .messages
        .last_to(recipient)
        .expect("a message was sent");
    let code = message.code(6).expect("the message carries a 6-digit code");
    (id, code)
}

#[tokio::test]
async fn an_sms_code_is_accepted_when_answered_with_the_code_texted() {
    let engine = EngineHarness::new().await;
    engine.user_with_phone("alice", PHONE).await;
    let (id, code) = code_sent(&engine, "alice", Method::Sms, PHONE).await;
    assert_eq!(engine.messages.all()[0].kind, MessageKind::Sms);
    assert_eq!(
        engine.answer("alice", &id, &code).await,
        accepted(Method::Sms, &id)
    );
    assert_eq!(engine.trail("alice").await, vec![Audited::accepted("sms")]);
}

#[tokio::test]
async fn a_wrong_sms_code_is_rejected_code_invalid_and_counted() {
    let engine = EngineHarness::new().await;
    engine.user_with_phone("bob", PHONE).await;
    let (id, code) = code_sent(&engine, "bob", Method::Sms, PHONE).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    assert_eq!(
        engine.answer("bob", &id, wrong).await,
        rejected(Reason::CodeInvalid)
    );
    assert_eq!(engine.failures("bob").await, 1);
    assert_eq!(
        engine.answer("bob", &id, &code).await,
        accepted(Method::Sms, &id)
    );
    assert_eq!(
        engine.answer("bob", &id, &code).await,
        rejected(Reason::CodeReused)
    );
    let expected = vec![
        Audited::rejected("sms", "code_invalid"),
        Audited::accepted("sms"),
        Audited::rejected("sms", "code_reused"),
    ];
    assert_eq!(engine.trail("bob").await, expected);
}

#[tokio::test]
async fn a_texted_code_expires() {
    let engine = EngineHarness::new().await; // codes.validity_seconds = 300
    engine.user_with_phone("carol", PHONE).await;
    let (id, code) = code_sent(&engine, "carol", Method::Sms, PHONE).await;
    engine.advance(300);
    let step = engine.answer("carol", &id, &code).await;
    assert_eq!(step, rejected(Reason::CodeExpired));
    let expected = vec![Audited::rejected("sms", "code_expired")];
    assert_eq!(engine.trail("carol").await, expected);
}

#[tokio::test]
async fn an_emailed_code_is_accepted_when_answered_with_the_code_in_the_email() {
    let engine = EngineHarness::new().await;
    let new = NewUser {
        username: "dave".into(),
        email: Some("dave@example.org".into()),
        ..NewUser::default()
    };
    engine.user_with(new).await;
    let (id, code) = code_sent(&engine, "dave", Method::Email, "dave@example.org").await;
    let email = engine.messages.last_to("dave@example.org").unwrap();
    assert_eq!(email.kind, MessageKind::Email);
    assert!(email.content.subject.is_some(), "an email has a subject");
    assert_eq!(
        engine.answer("dave", &id, &code).await,
        accepted(Method::Email, &id)
    );
    assert_eq!(engine.trail("dave").await, vec![Audited::accepted("email")]);
}

#[tokio::test]
async fn a_challenge_answered_for_another_user_or_unknown_is_not_found() {
    let engine = EngineHarness::new().await;
    engine.user_with_phone("erin", PHONE).await;
    let (id, code) = code_sent(&engine, "erin", Method::Sms, PHONE).await;
    let source = Default::default();
    let other = engine.signin.answer("mallory", &id, &code, &source).await;
    assert!(matches!(other, Err(AnswerError::NotFound)), "{other:?}");
    let unknown = engine
        .signin
        .answer("erin", "chl_none", &code, &source)
        .await;
    assert!(matches!(unknown, Err(AnswerError::NotFound)), "{unknown:?}");
}

#[tokio::test]
async fn two_way_sms_is_pending_until_the_user_replies_with_the_code() {
    let engine = EngineHarness::new().await;
    engine.user_with_phone("frank", PHONE).await;
    let step = engine
        .start(&engine.attempt("frank").naming(Method::SmsReply))
        .await;
    let Step::Pending {
        transaction_id: id,
        method: Method::SmsReply,
        number: None,
        ..
    } = step
    else {
        panic!("expected a pending two-way SMS, got {step:?}");
    };
    let rules = DoorRules::default();
    assert!(matches!(
        engine.wait(&id, &rules).await,
        Step::Pending { .. }
    ));
    engine.deliver().await;
    let reply = engine
        .messages
        .last_to(PHONE)
        .unwrap()
        .code(4)
        .expect("a 4-digit code");
    let completed = engine
        .codes
        .inbound("00441632960002", &reply)
        .await
        .unwrap();
    assert_eq!(completed.as_deref(), Some(id.as_str()));
    assert_eq!(
        engine.wait(&id, &rules).await,
        accepted(Method::SmsReply, &id)
    );
    let expected = vec![Audited::accepted("sms_reply").from_client("sms")];
    assert_eq!(engine.trail("frank").await, expected);
}

#[tokio::test]
async fn two_way_sms_without_a_reply_expires() {
    let engine = EngineHarness::new().await;
    engine.user_with_phone("grace", PHONE).await;
    let step = engine
        .start(&engine.attempt("grace").naming(Method::SmsReply))
        .await;
    let (id, _) = transaction_of(&step);
    engine.advance(300);
    let step = engine.wait(&id, &DoorRules::default()).await;
    assert_eq!(step, rejected(Reason::CodeExpired));
}
