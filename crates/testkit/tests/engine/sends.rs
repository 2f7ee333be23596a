//! Send limits shared by every code-sending path, counted in the store:
//! per user, per destination, for the whole server, and the country
//! allow-list for texts; two-way SMS replies count attempts.

use countersign_domain::methods::sends::{SendGate, SendPolicy, SendRefused};
use countersign_domain::model::messages::MessageKind;
use countersign_domain::ports::SendStore;
use countersign_domain::{Method, Reason, Step};
use countersign_testkit::engine::{Audited, EngineHarness};

use crate::{rejected, transaction_of, AttemptAt};

const PHONE: &str = "+441632960004";

fn gate(engine: &EngineHarness, policy: SendPolicy) -> SendGate {
    let store: std::sync::Arc<dyn SendStore> = engine.store.clone();
    SendGate::new(store, engine.clock.clone(), policy)
}

#[tokio::test]
async fn one_destination_gets_at_most_its_limit_whoever_asks() {
    let engine = EngineHarness::new().await; // per destination: 5 an hour
    for i in 0..6 {
        engine.user_with_phone(&format!("u{i}"), PHONE).await;
    }
    for i in 0..5 {
        let step = engine
            .start(&engine.attempt(&format!("u{i}")).naming(Method::Sms))
            .await;
        assert!(matches!(step, Step::Challenge { .. }), "send {i}: {step:?}");
    }
    let sixth = engine
        .start(&engine.attempt("u5").naming(Method::Sms))
        .await;
    assert_eq!(sixth, rejected(Reason::CodeRateLimited));
    assert_eq!(
        engine.trail("u5").await,
        vec![Audited::rejected("sms", "code_rate_limited")]
    );
    let metrics = engine.codes.send_gate().metrics();
    assert_eq!(metrics.refused(SendRefused::Destination), 1);
    engine.advance(3601);
    let later = engine
        .start(&engine.attempt("u5").naming(Method::Sms))
        .await;
    assert!(
        matches!(later, Step::Challenge { .. }),
        "the window moved: {later:?}"
    );
}

#[tokio::test]
async fn the_global_limit_and_the_user_limit_hold_and_refusals_leave_no_count() {
    let engine = EngineHarness::new().await;
    let policy = SendPolicy {
        per_user: 2,
        per_destination: 100,
        global: 3,
        allowed_prefixes: Vec::new(),
    };
    let gate = gate(&engine, policy);
    let send = |user: &'static str, to: &'static str| {
        let gate = gate.clone();
        async move {
            gate.admit(user, MessageKind::Email, to, "code")
                .await
                .unwrap()
        }
    };
    assert_eq!(send("usr_a", "a@example.org").await, Ok(()));
    assert_eq!(send("usr_a", "a2@example.org").await, Ok(()));
    assert_eq!(
        send("usr_a", "a3@example.org").await,
        Err(SendRefused::User)
    );
    assert_eq!(
        send("usr_b", "b@example.org").await,
        Ok(()),
        "the refusal was not counted"
    );
    assert_eq!(
        send("usr_c", "c@example.org").await,
        Err(SendRefused::Global)
    );
    assert_eq!(gate.metrics().refused(SendRefused::Global), 1);
}

#[tokio::test]
async fn parallel_sends_never_pass_the_limit_together() {
    let engine = EngineHarness::new().await;
    let policy = SendPolicy {
        per_destination: 3,
        ..SendPolicy::default()
    };
    let gate = gate(&engine, policy);
    let mut tasks = Vec::new();
    for i in 0..20 {
        let gate = gate.clone();
        tasks.push(tokio::spawn(async move {
            let user = format!("usr_{i}");
            gate.admit(&user, MessageKind::Sms, PHONE, "confirm")
                .await
                .unwrap()
        }));
    }
    let mut passed = 0;
    for task in tasks {
        passed += usize::from(task.await.unwrap().is_ok());
    }
    // Counting after inserting may refuse more of a burst than needed,
    // never let more through; the refused leave no count behind.
    assert!(passed <= 3, "{passed} passed a limit of 3");
    let next = gate
        .admit("usr_x", MessageKind::Sms, PHONE, "confirm")
        .await;
    assert_eq!(next.unwrap().is_ok(), passed < 3, "{passed} passed before");
}

#[tokio::test]
async fn texts_go_only_to_allowed_country_prefixes() {
    let engine = EngineHarness::new().await;
    let policy = SendPolicy {
        allowed_prefixes: vec!["+44".into(), "+1".into()],
        ..SendPolicy::default()
    };
    let gate = gate(&engine, policy);
    let sms = |to: &'static str| {
        let gate = gate.clone();
        async move {
            gate.admit("usr_a", MessageKind::Sms, to, "code")
                .await
                .unwrap()
        }
    };
    assert_eq!(sms("+441632960004").await, Ok(()));
    assert_eq!(sms("+15005550006").await, Ok(()));
    assert_eq!(sms("+8821234567").await, Err(SendRefused::Country));
    let email = gate.admit("usr_a", MessageKind::Email, "a@example.org", "code");
    assert_eq!(email.await.unwrap(), Ok(()), "email is not a country");
    // Through the engine: a user whose phone is outside the list gets no_method.
    engine.user_with_phone("zed", "+8821234567").await;
    let codes = engine.codes.clone().with_send_gate(gate.clone());
    let source = countersign_domain::Source::default();
    let start = codes.start("zed", MessageKind::Sms, &source).await.unwrap();
    assert_eq!(
        start,
        countersign_domain::methods::codes::CodeStart::Rejected(Reason::NoMethod)
    );
}

#[tokio::test]
async fn wrong_two_way_sms_replies_count_attempts_until_the_sign_in_is_rejected() {
    let engine = EngineHarness::new().await; // codes.max_attempts = 5
    engine.user_with_phone("frank", PHONE).await;
    let step = engine
        .start(&engine.attempt("frank").naming(Method::SmsReply))
        .await;
    let (id, _) = transaction_of(&step);
    engine.deliver().await;
    let right = engine.messages.last_to(PHONE).unwrap().code(4).unwrap();
    let wrong = if right == "0000" { "1111" } else { "0000" };
    for _ in 0..5 {
        let matched = engine.codes.inbound(PHONE, wrong).await.unwrap();
        assert_eq!(matched, None);
    }
    let late = engine.codes.inbound(PHONE, &right).await.unwrap();
    assert_eq!(
        late, None,
        "the right reply after five wrong ones is too late"
    );
    let step = engine
        .wait(&id, &countersign_domain::DoorRules::default())
        .await;
    assert_eq!(step, rejected(Reason::AttemptsExceeded));
}
