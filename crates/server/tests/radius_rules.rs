//! Per-client rules of the RADIUS door, decided by the sign-in engine and
//! shown with radclient: `require_user_match = false` lets unenrolled users
//! through (audited `not_enrolled`) for a staged roll-out, and
//! `fallback_otp` turns an unanswered push into a challenge for a code.

mod common;
mod device;
mod radius_peers;

use common::*;
use device::Device;
use radius_peers::*;
use serde_json::json;

const SECRET: &str = "vpn-shared-secret-0123";

fn client<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "--name",
        "vpn",
        "--address",
        "127.0.0.1",
        "--secret",
        SECRET,
    ];
    args.extend_from_slice(extra);
    args
}

fn pap(user: &str, password: &str) -> String {
    format!("User-Name = \"{user}\", User-Password = \"{password}\", Message-Authenticator = 0x00")
}

/// The second round: the user's current TOTP code with the challenge's State.
fn totp_answer(user: &str, challenge: &Radclient) -> String {
    let state = challenge.attr("State").expect("a State");
    let code = totp_now(RFC_SECRET);
    format!("User-Name = \"{user}\", User-Password = \"{code}\", State = {state}, Message-Authenticator = 0x00")
}

#[tokio::test]
async fn unenrolled_users_pass_only_where_the_client_allows_it() {
    let db = Db::sqlite();
    let rollout = RadiusNode::start(&db, &[&client(&["--require-user-match", "false"])]).await;
    rollout.user_with_token("alice", "totp").await;
    rollout
        .api
        .post("/api/v1/users", json!({"username": "bare"}))
        .await
        .expect(201, "a user without any method");

    let unknown = radclient(rollout.port, SECRET, &pap("nobody", "123456")).await;
    unknown.expect("Access-Accept", "an unknown user during the roll-out");
    assert!(
        unknown.reply_message().contains("not enrolled"),
        "{}",
        unknown.output
    );
    radclient(rollout.port, SECRET, &pap("bare", "123456"))
        .await
        .expect("Access-Accept", "a known user with no method");
    let wrong = wrong_code(RFC_SECRET, 1);
    radclient(rollout.port, SECRET, &pap("alice", &wrong))
        .await
        .expect(
            "Access-Reject",
            "an enrolled user still needs the right code",
        );

    for who in ["nobody", "bare"] {
        let audit = rollout.audit(who).await;
        let record = audit_record(&audit, "accepted", Some("not_enrolled"));
        assert_eq!(record["api_key"], "radius:vpn", "{audit:#?}");
    }

    let strict_db = Db::sqlite();
    let strict = RadiusNode::start(&strict_db, &[&client(&[])]).await;
    let refused = radclient(strict.port, SECRET, &pap("nobody", "123456")).await;
    refused.expect("Access-Reject", "an unknown user where a match is required");
    assert!(
        refused.reply_message().contains("(unknown_user)"),
        "{}",
        refused.output
    );
    audit_record(
        &strict.audit("nobody").await,
        "rejected",
        Some("unknown_user"),
    );
}

#[tokio::test]
async fn fallback_otp_turns_an_unanswered_push_into_a_code_challenge() {
    let db = Db::sqlite();
    let node = RadiusNode::start_with(
        &db,
        &[("COUNTERSIGN_RADIUS_HOLD_SECONDS", "2")],
        &[&client(&["--flow", "challenge", "--fallback-otp"])],
    )
    .await;
    node.user_with_token("alice", "totp").await;
    // The phone is activated but never answers.
    let _phone = Device::enrol(&node.api, &node.server.base(), "alice").await;

    let first = radclient_with(node.port, SECRET, &pap("alice", ""), "10").await;
    first.expect(
        "Access-Challenge",
        "a push nobody answers, with fallback_otp",
    );
    assert!(first.reply_message().contains("code"), "{}", first.output);
    radclient(node.port, SECRET, &totp_answer("alice", &first))
        .await
        .expect("Access-Accept", "the TOTP code completes the sign-in");
    let audit = node.audit("alice").await;
    let record = audit_record(&audit, "accepted", None);
    assert_eq!(record["method"], "otp", "{audit:#?}");
}

#[tokio::test]
async fn method_words_pick_the_method_where_the_password_is_not_a_first_factor() {
    let db = Db::sqlite();
    let node = RadiusNode::start(&db, &[&client(&["--flow", "challenge"])]).await;
    node.user_with_token("alice", "totp").await;
    node.user_with_token("bob", "totp").await;
    let phone = Device::enrol(&node.api, &node.server.base(), "alice").await;

    // "code": alice has a phone, but asks for the code prompt instead of a push.
    let first = radclient(node.port, SECRET, &pap("alice", "code")).await;
    first.expect("Access-Challenge", "the word code");
    assert!(phone.pending().await.is_empty(), "no push was sent");
    radclient(node.port, SECRET, &totp_answer("alice", &first))
        .await
        .expect("Access-Accept", "the code answers the challenge");

    // "push" for a user without a phone: refused with the reason.
    let push = radclient(node.port, SECRET, &pap("bob", "push")).await;
    push.expect("Access-Reject", "the word push without a device");
    assert!(
        push.reply_message().contains("(no_device)"),
        "{}",
        push.output
    );
}
