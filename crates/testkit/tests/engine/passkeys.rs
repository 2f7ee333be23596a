//! Passkeys (`webauthn`): a challenge carrying the request options,
//! answered with an assertion from a software authenticator; every check
//! refused with its own reason and audited with method `webauthn`.

use countersign_domain::methods::passkeys::PasskeyView;
use countersign_domain::signin::AnswerError;
use countersign_domain::{Method, Reason, Step};
use countersign_testkit::engine::passkey::{SoftKey, ORIGIN, RP_ID, UP, UP_UV};
use countersign_testkit::engine::{source, Audited, EngineHarness};
use serde_json::Value;

use crate::{accepted, rejected, AttemptAt};

/// Registers a passkey for `username` through the `Passkeys` service.
async fn register(engine: &EngineHarness, username: &str, key: &mut SoftKey) -> PasskeyView {
    let ceremony = engine
        .passkeys
        .begin_registration(username, None)
        .await
        .expect("begin_registration");
    let response = key.register(&ceremony.options);
    engine
        .passkeys
        .finish_registration(
            username,
            &ceremony.ceremony_id,
            &response,
            Some("Key".into()),
        )
        .await
        .expect("finish_registration")
}

/// Starts a `webauthn` sign-in: the transaction and the request options.
async fn challenge(engine: &EngineHarness, username: &str) -> (String, Value) {
    let step = engine
        .start(&engine.attempt(username).naming(Method::Webauthn))
        .await;
    match step {
        Step::Challenge {
            transaction_id: Some(id),
            method: Method::Webauthn,
            options: Some(options),
            ..
        } => (id, options),
        other => panic!("expected a webauthn challenge, got {other:?}"),
    }
}

async fn answer(engine: &EngineHarness, username: &str, id: &str, assertion: &Value) -> Step {
    engine
        .signin
        .answer_assertion(username, id, assertion, &source())
        .await
        .expect("answer_assertion")
}

/// A user with one registered passkey.
async fn alice(engine: &EngineHarness) -> (SoftKey, PasskeyView) {
    engine.user("alice").await;
    let mut key = SoftKey::new();
    let view = register(engine, "alice", &mut key).await;
    (key, view)
}

fn passkey_id(step: &Step) -> String {
    match step {
        Step::Accepted {
            credential: Some(id),
            ..
        } => id.clone(),
        other => panic!("expected accepted, got {other:?}"),
    }
}

#[tokio::test]
async fn a_passkey_is_offered_by_default_and_its_assertion_accepted() {
    let engine = EngineHarness::new().await;
    let (mut key, view) = alice(&engine).await;
    assert_eq!(view.credential_id, key.credential_id());
    let step = engine.start(&engine.attempt("alice")).await;
    let Step::Challenge {
        method,
        options: Some(options),
        transaction_id: Some(id),
        ..
    } = step
    else {
        panic!("a passkey challenge by default, got {step:?}");
    };
    assert_eq!(method, Method::Webauthn);
    assert_eq!(options["rpId"], RP_ID);
    assert_eq!(options["userVerification"], "required");
    assert_eq!(options["allowCredentials"][0]["id"], key.credential_id());
    let step = answer(&engine, "alice", &id, &key.assert(&options)).await;
    assert_eq!(step, accepted(Method::Webauthn, &passkey_id(&step)));
    assert_eq!(
        engine.trail("alice").await,
        vec![Audited::accepted("webauthn")]
    );
    let listed = engine.passkeys.list("alice").await.unwrap();
    assert_eq!(listed[0].sign_count, 1);
    assert!(listed[0].last_used_at.is_some());
    assert_eq!(engine.passkeys.metrics().verifications("accepted"), 1);
}

#[tokio::test]
async fn a_replayed_assertion_is_refused_code_reused() {
    let engine = EngineHarness::new().await;
    let (mut key, _) = alice(&engine).await;
    let (id, options) = challenge(&engine, "alice").await;
    let assertion = key.assert(&options);
    assert!(matches!(
        answer(&engine, "alice", &id, &assertion).await,
        Step::Accepted { .. }
    ));
    assert_eq!(
        answer(&engine, "alice", &id, &assertion).await,
        rejected(Reason::CodeReused)
    );
    // The same assertion on a fresh challenge signed another challenge.
    let (other, _) = challenge(&engine, "alice").await;
    assert_eq!(
        answer(&engine, "alice", &other, &assertion).await,
        rejected(Reason::ChallengeMismatch)
    );
    let trail = engine.trail("alice").await;
    assert_eq!(trail[1], Audited::rejected("webauthn", "code_reused"));
    assert_eq!(
        trail[2],
        Audited::rejected("webauthn", "challenge_mismatch")
    );
}

#[tokio::test]
async fn an_expired_challenge_is_refused_challenge_expired() {
    let engine = EngineHarness::new().await;
    let (mut key, _) = alice(&engine).await;
    let (id, options) = challenge(&engine, "alice").await;
    engine.advance(301);
    assert_eq!(
        answer(&engine, "alice", &id, &key.assert(&options)).await,
        rejected(Reason::ChallengeExpired)
    );
    assert_eq!(
        engine.trail("alice").await,
        vec![Audited::rejected("webauthn", "challenge_expired")]
    );
}

#[tokio::test]
async fn a_counter_going_backwards_is_refused_credential_cloned() {
    let engine = EngineHarness::new().await;
    let (mut key, _) = alice(&engine).await;
    key.counter = 10;
    let (id, options) = challenge(&engine, "alice").await;
    assert!(matches!(
        answer(&engine, "alice", &id, &key.assert(&options)).await,
        Step::Accepted { .. }
    ));
    let (id, options) = challenge(&engine, "alice").await;
    let clone = key.assert_with(&options, UP_UV, 5, ORIGIN, RP_ID);
    assert_eq!(
        answer(&engine, "alice", &id, &clone).await,
        rejected(Reason::CredentialCloned)
    );
    assert_eq!(
        engine.trail("alice").await[1],
        Audited::rejected("webauthn", "credential_cloned")
    );
    assert_eq!(
        engine.passkeys.metrics().verifications("credential_cloned"),
        1
    );
}

#[tokio::test]
async fn a_removed_passkey_is_refused_passkey_unknown() {
    let engine = EngineHarness::new().await;
    let (mut key, view) = alice(&engine).await;
    let token = engine.totp("alice").await;
    let (id, options) = challenge(&engine, "alice").await;
    engine
        .passkeys
        .remove("alice", &view.credential_id)
        .await
        .unwrap();
    assert_eq!(
        answer(&engine, "alice", &id, &key.assert(&options)).await,
        rejected(Reason::PasskeyUnknown)
    );
    drop(token);
}

#[tokio::test]
async fn the_last_method_cannot_be_removed() {
    let engine = EngineHarness::new().await;
    let (_, view) = alice(&engine).await;
    let refused = engine.passkeys.remove("alice", &view.credential_id).await;
    assert!(refused
        .unwrap_err()
        .to_string()
        .contains("last way to sign in"));
    assert_eq!(engine.passkeys.list("alice").await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_wrong_origin_or_rp_id_are_each_refused() {
    let engine = EngineHarness::new().await;
    let (mut key, _) = alice(&engine).await;
    let cases = [
        (
            UP_UV,
            "https://evil.example.net",
            RP_ID,
            Reason::OriginMismatch,
        ),
        (UP_UV, ORIGIN, "evil.example.net", Reason::RpIdMismatch),
    ];
    for (flags, origin, rp_id, reason) in cases {
        let (id, options) = challenge(&engine, "alice").await;
        key.counter += 1;
        let assertion = key.assert_with(&options, flags, key.counter, origin, rp_id);
        assert_eq!(
            answer(&engine, "alice", &id, &assertion).await,
            rejected(reason)
        );
    }
    let reasons: Vec<_> = engine
        .trail("alice")
        .await
        .into_iter()
        .map(|a| a.reason)
        .collect();
    assert_eq!(
        reasons,
        ["origin_mismatch", "rp_id_mismatch"].map(|r| Some(r.to_string()))
    );
}

#[tokio::test]
async fn an_unverified_user_or_an_unreadable_answer_are_each_refused() {
    let engine = EngineHarness::new().await;
    let (mut key, _) = alice(&engine).await;
    let (id, options) = challenge(&engine, "alice").await;
    key.counter += 1;
    let touch_only = key.assert_with(&options, UP, key.counter, ORIGIN, RP_ID);
    assert_eq!(
        answer(&engine, "alice", &id, &touch_only).await,
        rejected(Reason::UserVerificationMissing)
    );
    let (id, _) = challenge(&engine, "alice").await;
    let garbage = serde_json::json!({"id": "x"});
    assert_eq!(
        answer(&engine, "alice", &id, &garbage).await,
        rejected(Reason::PasskeyMalformed)
    );
    assert_eq!(
        engine.failures("alice").await,
        2,
        "each counts towards lockout"
    );
}

#[tokio::test]
async fn another_users_transaction_is_not_found() {
    let engine = EngineHarness::new().await;
    let (mut key, _) = alice(&engine).await;
    engine.user("bob").await;
    let (id, options) = challenge(&engine, "alice").await;
    let answered = engine
        .signin
        .answer_assertion("bob", &id, &key.assert(&options), &source())
        .await;
    assert!(matches!(answered, Err(AnswerError::NotFound)));
}

#[tokio::test]
async fn a_discoverable_sign_in_finds_the_user_by_the_passkey() {
    let engine = EngineHarness::new().await;
    let (mut key, _) = alice(&engine).await;
    let source = source();
    let (id, options) = engine.signin.passkey_sign_in_begin(&source).await.unwrap();
    assert_eq!(options["allowCredentials"], serde_json::json!([]));
    let done = engine
        .signin
        .passkey_sign_in_finish(&id, &key.assert(&options), &source, false)
        .await
        .unwrap();
    assert_eq!(done.username.as_deref(), Some("alice"));
    assert!(matches!(
        done.step,
        Step::Accepted {
            method: Some(Method::Webauthn),
            ..
        }
    ));
    // The console cannot sign in a user; an unknown passkey names nobody.
    let (id, options) = engine.signin.passkey_sign_in_begin(&source).await.unwrap();
    let console = engine
        .signin
        .passkey_sign_in_finish(&id, &key.assert(&options), &source, true)
        .await
        .unwrap();
    assert_eq!(
        (console.username, console.step),
        (None, rejected(Reason::PasskeyUnknown))
    );
}

#[tokio::test]
async fn administrators_who_must_use_a_passkey_are_refused_their_totp() {
    let engine = EngineHarness::new().await;
    let token = engine.administrator("root").await;
    let mut key = SoftKey::new();
    let console = engine.passkeys.for_principals();
    let ceremony = console
        .begin_registration("admin/root", None)
        .await
        .unwrap();
    let response = key.register(&ceremony.options);
    console
        .finish_registration("admin/root", &ceremony.ceremony_id, &response, None)
        .await
        .unwrap();
    let with_code = engine
        .attempt_with_code("admin/root", &engine.code_now(&token))
        .console();
    assert!(
        matches!(engine.start(&with_code).await, Step::Accepted { .. }),
        "off by default"
    );
    engine
        .verifier
        .settings()
        .update(|s| s.admins_must_use_passkey = true);
    engine.advance(30);
    let with_code = engine
        .attempt_with_code("admin/root", &engine.code_now(&token))
        .console();
    assert_eq!(
        engine.start(&with_code).await,
        rejected(Reason::MethodNotAllowed)
    );
    let step = engine.start(&engine.attempt("admin/root").console()).await;
    assert!(
        matches!(
            step,
            Step::Challenge {
                method: Method::Webauthn,
                ..
            }
        ),
        "{step:?}"
    );
    // Other doors still cannot see the principal's passkeys.
    assert!(engine.passkeys.list("admin/root").await.is_err());
}

#[tokio::test]
async fn a_usernameless_passkey_sign_in_obeys_the_rules() {
    use countersign_domain::rules::{Outcome, Rule};
    let engine = EngineHarness::new().await;
    let (mut key, _) = alice(&engine).await;
    let mut source = source();
    source.client = Some("portal".into());
    let at_portal = |name: &str, outcome| Rule {
        doors: vec!["portal".into()],
        ..crate::rules::rule(name, outcome)
    };
    let otp_only = Rule {
        methods: vec![Method::Otp],
        ..at_portal("otp-only", Outcome::Allow)
    };
    engine.rules.add(otp_only, None).await.expect("add");
    let mut finish = async |source: &countersign_domain::Source| {
        let (id, options) = engine.signin.passkey_sign_in_begin(source).await.unwrap();
        let assertion = key.assert(&options);
        let signed = engine
            .signin
            .passkey_sign_in_finish(&id, &assertion, source, false);
        signed.await.unwrap().step
    };
    // A rule whose methods leave passkeys out refuses it.
    assert_eq!(finish(&source).await, rejected(Reason::MethodNotAllowed));
    // A deny rule ahead of it refuses it as denied_by_rule.
    let closed = at_portal("closed", Outcome::Deny);
    engine.rules.add(closed, Some(0)).await.expect("add");
    assert_eq!(finish(&source).await, rejected(Reason::DeniedByRule));
    // At a door no rule names, the passkey signs in.
    source.client = Some("sso".into());
    assert!(matches!(
        finish(&source).await,
        Step::Accepted {
            method: Some(Method::Webauthn),
            ..
        }
    ));
}
