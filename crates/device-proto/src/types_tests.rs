use super::*;
use serde_json::json;

#[test]
fn activate_body_is_read_strictly() {
    let body: ActivateBody = serde_json::from_value(json!({"code": "4821093755120846",
        "public_key": "BA==", "device_name": "laptop", "platform": "linux"}))
    .expect("reads");
    assert_eq!(body.pin_key, None);
    let sent = serde_json::to_value(&body).expect("writes");
    assert!(
        sent.get("pin_key").is_none(),
        "no pin_key unless in PIN mode"
    );
    let extra = json!({"code": "1", "public_key": "", "device_name": "", "platform": "", "x": 1});
    assert!(serde_json::from_value::<ActivateBody>(extra).is_err());
}

#[test]
fn activated_as_the_server_sends_it() {
    let answer = Activated {
        device_id: "dev_1".into(),
        account_name: "Countersign".into(),
        user: "alice".into(),
        display_name: None,
        oath: None,
        number_matching: true,
        pin_required: false,
        web_push: None,
    };
    assert_eq!(
        serde_json::to_value(&answer).expect("writes"),
        json!({"device_id": "dev_1", "account_name": "Countersign", "user": "alice",
               "display_name": null, "number_matching": true, "pin_required": false})
    );
}

#[test]
fn activated_is_read_leniently() {
    let answer: Activated = serde_json::from_value(json!({"device_id": "dev_1",
        "account_name": "A", "user": "alice", "oath": {"secret": "JBSWY3DP"}, "new": 1}))
    .expect("reads");
    assert!(
        answer.number_matching,
        "number matching unless said otherwise"
    );
    let oath = answer.oath.expect("oath");
    assert_eq!(
        (oath.algorithm.as_str(), oath.digits, oath.period),
        ("sha1", 6, 30)
    );
}

#[test]
fn sign_in_request_round_trip_keeps_unknown_fields() {
    let sent = json!({"id": "txn_1", "user": "alice", "application": null,
        "client_address": "203.0.113.7", "created_at": "2026-11-23T15:00:00Z",
        "expires_at": "2026-11-23T15:01:00Z", "number_matching": true,
        "pin_required": false, "later": {"x": 1}});
    let request: SignInRequest = serde_json::from_value(sent.clone()).expect("reads");
    assert_eq!(request.extra.get("later"), Some(&json!({"x": 1})));
    assert_eq!(serde_json::to_value(&request).expect("writes"), sent);
}

#[test]
fn answers_spell_as_on_the_wire() {
    let body = AnswerBody {
        answer: Answer::Approve,
        number: Some(42),
        pin_proof: None,
    };
    assert_eq!(
        serde_json::to_string(&body).expect("writes"),
        r#"{"answer":"approve","number":42}"#
    );
    let read: AnswerBody = serde_json::from_str(r#"{"answer":"fraud"}"#).expect("reads");
    assert_eq!(read.answer, Answer::Fraud);
    let wrong = serde_json::from_str::<AnswerBody>(r#"{"answer":"maybe"}"#).expect_err("refused");
    assert!(wrong
        .to_string()
        .starts_with("answer 'maybe' is not approve, deny or fraud"));
    assert!(wrong.is_data());
    assert!(serde_json::from_str::<AnswerBody>(r#"{"answer":"deny","x":1}"#).is_err());
}

#[test]
fn answer_results() {
    assert_eq!(
        serde_json::to_value(AnswerResult::accepted()).expect("writes"),
        json!({"result": "accepted"})
    );
    let rejected = AnswerResult::rejected("number_mismatch", "wrong number");
    assert_eq!(
        serde_json::to_value(&rejected).expect("writes"),
        json!({"result": "rejected", "reason": "number_mismatch", "message": "wrong number"})
    );
    assert_eq!(
        rejected.to_string(),
        "rejected (number_mismatch): wrong number"
    );
    assert!(!rejected.took(Answer::Approve));
    assert!(rejected.took(Answer::Deny));
}

#[test]
fn web_push_subscription_as_the_browser_sends_it() {
    let sent = json!({"endpoint": "https://push.example/1", "expirationTime": null,
        "keys": {"p256dh": "BA", "auth": "AA"}});
    let read: WebPushSubscription = serde_json::from_value(sent).expect("reads");
    assert_eq!(read.keys.auth, "AA");
    let extra = json!({"endpoint": "e", "keys": {"p256dh": "", "auth": "", "x": 1}});
    assert!(serde_json::from_value::<WebPushSubscription>(extra).is_err());
}
