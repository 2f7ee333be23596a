//! The RADIUS listener over real UDP. `radclient` (freeradius-utils) is the
//! NAS for PAP, wrong secrets, Message-Authenticator and the challenge
//! flow; a NAS built on countersign-radius sends what radclient cannot
//! (other source addresses, one datagram several times, no
//! Message-Authenticator, malformed bytes). Counters come from `/metrics`,
//! the trail from `/api/v1/audit`.

mod common;
mod radius_peers;

use std::time::Duration;

use common::*;
use countersign_radius::{attr, Attribute, Code, Packet};
use countersign_testkit::TempDir;
use radius_peers::*;

const SECRET: &str = "vpn-shared-secret-0123";
/// How long a NAS waits for an answer that must come.
const ANSWER: Duration = Duration::from_secs(5);
/// How long to listen for an answer that must not come, once the server
/// has already counted the request as dropped.
const SILENCE: Duration = Duration::from_millis(300);

const BAD_MA: &str = r#"countersign_radius_dropped_total{cause="bad_message_authenticator"}"#;
const MISSING_MA: &str =
    r#"countersign_radius_dropped_total{cause="missing_message_authenticator"}"#;
const UNKNOWN: &str = r#"countersign_radius_dropped_total{cause="unknown_client"}"#;
const MALFORMED: &str = r#"countersign_radius_dropped_total{cause="malformed"}"#;
const IN_FLIGHT: &str = r#"countersign_radius_dropped_total{cause="duplicate_in_flight"}"#;
const CACHED: &str = r#"countersign_radius_retransmissions_total{answer="cached"}"#;
const SENT_ACCEPT: &str = r#"countersign_radius_sent_total{type="access_accept"}"#;

#[tokio::test]
async fn otp_flow_sqlite() {
    otp_flow(Db::sqlite()).await;
}

#[tokio::test]
async fn otp_flow_postgres() {
    otp_flow(Db::postgres().await).await;
}

#[tokio::test]
async fn challenge_flow_sqlite() {
    challenge_flow(Db::sqlite()).await;
}

#[tokio::test]
async fn challenge_flow_postgres() {
    challenge_flow(Db::postgres().await).await;
}

#[tokio::test]
async fn retransmissions_sqlite() {
    retransmissions(Db::sqlite()).await;
}

#[tokio::test]
async fn retransmissions_postgres() {
    retransmissions(Db::postgres().await).await;
}

/// radclient with PAP: a valid TOTP code is accepted once; the same code
/// again is rejected with its reason; a wrong shared secret or a missing
/// Message-Authenticator gets no answer at all (and consumes nothing).
async fn otp_flow(db: Db) {
    let secrets = TempDir::new("radius-secrets");
    let secret_path = secret_file(secrets.path(), "vpn.secret", SECRET);
    let node = RadiusNode::start(
        &db,
        &[&[
            "--name",
            "vpn",
            "--address",
            "127.0.0.1/32",
            "--secret-file",
            &secret_path,
        ]],
    )
    .await;
    node.user_with_token("alice", "totp").await;
    let pap = |code: &str, extra: &str| {
        format!("User-Name = \"alice\", User-Password = \"{code}\"{extra}")
    };
    let signed = ", Message-Authenticator = 0x00";

    let wrong_secret = radclient_with(
        node.port,
        "not-the-shared-secret",
        &pap(&totp_now(RFC_SECRET), signed),
        "1",
    )
    .await;
    assert!(
        !wrong_secret.accepted && wrong_secret.code.is_none(),
        "a request signed with the wrong secret must be dropped:\n{}",
        wrong_secret.output
    );
    node.wait_metric(BAD_MA, 1).await;

    let unsigned = radclient_with(node.port, SECRET, &pap(&totp_now(RFC_SECRET), ""), "1").await;
    assert!(
        unsigned.code.is_none(),
        "a request without Message-Authenticator must be dropped (it is required by default):\n{}",
        unsigned.output
    );
    node.wait_metric(MISSING_MA, 1).await;

    let code = totp_now(RFC_SECRET);
    let nas = ", NAS-IP-Address = 192.0.2.10";
    let accept = radclient(node.port, SECRET, &pap(&code, &format!("{nas}{signed}"))).await;
    accept.expect("Access-Accept", "PAP with a valid TOTP code");
    assert!(
        accept.attr("Message-Authenticator").is_some(),
        "answers always carry a Message-Authenticator:\n{}",
        accept.output
    );

    let replay = radclient(node.port, SECRET, &pap(&code, signed)).await;
    replay.expect("Access-Reject", "the same code again");
    assert!(
        replay.reply_message().contains("(code_reused)"),
        "the Reject says why, with the reason code:\n{}",
        replay.output
    );

    node.wait_metric("countersign_radius_duration_seconds_count", 2)
        .await;

    let audit = node.audit("alice").await;
    assert_eq!(
        audit.len(),
        2,
        "one record per verification; the dropped requests verified nothing: {audit:#?}"
    );
    let accepted = audit_record(&audit, "accepted", None);
    assert_eq!(accepted["api_key"], "radius:vpn", "{accepted}");
    assert_eq!(
        accepted["source_address"], "192.0.2.10",
        "NAS-IP-Address is the audited address: {accepted}"
    );
    let reused = audit_record(&audit, "rejected", Some("code_reused"));
    assert_eq!(reused["api_key"], "radius:vpn", "{reused}");
    assert_eq!(
        reused["source_address"], "127.0.0.1",
        "without NAS-IP-Address, the packet's source: {reused}"
    );
}

/// The challenge flow with radclient: Access-Challenge with a State, then
/// the code with that State; a State answers once.
async fn challenge_flow(db: Db) {
    let node = RadiusNode::start(
        &db,
        &[&[
            "--name",
            "gateway",
            "--address",
            "127.0.0.1",
            "--secret",
            SECRET,
            "--flow",
            "challenge",
        ]],
    )
    .await;
    node.user_with_token("carol", "hotp").await;
    let first_round = "User-Name = \"carol\", User-Password = \"\", Message-Authenticator = 0x00";
    let second_round = |code: &str, state: &str| {
        format!("User-Name = \"carol\", User-Password = \"{code}\", State = {state}, Message-Authenticator = 0x00")
    };

    let challenge = radclient(node.port, SECRET, first_round).await;
    challenge.expect("Access-Challenge", "the first round");
    let state = challenge
        .attr("State")
        .unwrap_or_else(|| panic!("the challenge carries a State:\n{}", challenge.output))
        .to_string();
    assert!(
        !challenge.reply_message().trim().is_empty(),
        "the challenge prompts the user"
    );
    let code0 = hotp(RFC_SECRET, 0);
    radclient(node.port, SECRET, &second_round(&code0, &state))
        .await
        .expect("Access-Accept", "the code with the State");

    let code1 = hotp(RFC_SECRET, 1);
    let again = radclient(node.port, SECRET, &second_round(&code1, &state)).await;
    again.expect("Access-Reject", "a State that was already answered");

    let wrong = wrong_code(RFC_SECRET, 3);
    let state = radclient(node.port, SECRET, first_round).await;
    let state = state.expect("Access-Challenge", "a new first round");
    let state = state.attr("State").expect("a State").to_string();
    let rejected = radclient(node.port, SECRET, &second_round(&wrong, &state)).await;
    rejected.expect("Access-Reject", "a wrong code");
    assert!(
        rejected.reply_message().contains("(code_invalid)"),
        "{}",
        rejected.output
    );

    let state = radclient(node.port, SECRET, first_round).await;
    let state = state.expect("Access-Challenge", "a third first round");
    let state = state.attr("State").expect("a State").to_string();
    radclient(node.port, SECRET, &second_round(&code1, &state))
        .await
        .expect(
            "Access-Accept",
            "the code sent with the reused State was not consumed",
        );

    let audit = node.audit("carol").await;
    let mut seen: Vec<(String, String)> = audit
        .iter()
        .map(|r| (r["result"].to_string(), r["reason"].to_string()))
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        [
            ("\"accepted\"", "null"),
            ("\"accepted\"", "null"),
            ("\"rejected\"", "\"challenge_expired\""),
            ("\"rejected\"", "\"code_invalid\"")
        ]
        .map(|(a, b)| (a.to_string(), b.to_string())),
        "two codes accepted, one rejected, the reused State refused (and its code not verified): {audit:#?}"
    );
    assert!(
        audit.iter().all(|r| r["api_key"] == "radius:gateway"),
        "{audit:#?}"
    );
}

/// A user the server does not know, in the challenge flow: rejected at the
/// first round, and audited like every other answer, with the NAS address.
#[tokio::test]
async fn challenge_for_an_unknown_user_is_audited_with_the_nas_address() {
    let node = RadiusNode::start(
        &Db::sqlite(),
        &[&[
            "--name",
            "gateway",
            "--address",
            "127.0.0.1",
            "--secret",
            SECRET,
            "--flow",
            "challenge",
        ]],
    )
    .await;
    let answer = radclient(
        node.port,
        SECRET,
        "User-Name = \"nobody\", NAS-IP-Address = 192.0.2.44, Message-Authenticator = 0x00",
    )
    .await;
    answer.expect("Access-Reject", "an unknown user");
    let audit = node.audit("nobody").await;
    assert_eq!(audit.len(), 1, "{audit:#?}");
    assert_eq!(audit[0]["api_key"], "radius:gateway", "{audit:#?}");
    assert_eq!(
        audit[0]["source_address"], "192.0.2.44",
        "the audit log records the NAS address of every RADIUS answer: {audit:#?}"
    );
}

/// RFC 5080: the same datagram again gets the same answer from the cache
/// and never a second verification, both after the answer (a lost answer)
/// and while the first is still being decided.
async fn retransmissions(db: Db) {
    let node = RadiusNode::start(
        &db,
        &[&[
            "--name",
            "vpn",
            "--address",
            "127.0.0.1",
            "--secret",
            SECRET,
        ]],
    )
    .await;
    node.user_with_token("dave", "hotp").await;
    let nas = Nas::bind("127.0.0.1", node.port, SECRET).await;

    let request = nas.request(42, "dave", &hotp(RFC_SECRET, 0), Vec::new());
    let mut answers = Vec::new();
    for attempt in 1..=3 {
        nas.send(&request.0).await;
        let answer = nas.receive(ANSWER).await;
        answers.push(answer.unwrap_or_else(|| panic!("no answer to transmission {attempt}")));
    }
    assert!(
        answers.iter().all(|a| *a == answers[0]),
        "the three answers are byte for byte the same"
    );
    let answer = nas.check(&answers[0], &request.1);
    assert_eq!(answer.code, Code::AccessAccept, "{answer:?}");
    assert_eq!(answer.identifier, 42);
    assert_eq!(
        node.audit("dave").await.len(),
        1,
        "exactly one verification"
    );
    node.wait_metric(CACHED, 2).await;
    assert_eq!(node.metric(SENT_ACCEPT).await, 1, "one Accept was decided");

    // The same Identifier with a new Request Authenticator is a new request.
    let proxy_states = vec![
        Attribute::new(attr::PROXY_STATE, "hop-1"),
        Attribute::new(attr::PROXY_STATE, "hop-2"),
    ];
    let reused_id = nas.request(42, "dave", &hotp(RFC_SECRET, 0), proxy_states);
    let answer = nas.ask(&reused_id, ANSWER).await;
    assert_eq!(
        answer.code,
        Code::AccessReject,
        "verified afresh: {answer:?}"
    );
    assert!(
        reply_message(&answer).contains("(code_reused)"),
        "{answer:?}"
    );
    let echoed: Vec<&[u8]> = answer.attrs(attr::PROXY_STATE).collect();
    assert_eq!(
        echoed,
        [b"hop-1".as_slice(), b"hop-2".as_slice()],
        "Proxy-State is echoed in order"
    );

    // Three copies at once: the ones arriving while the first is decided are
    // dropped (the NAS retries), and whatever is answered is the same answer.
    let burst = nas.request(43, "dave", &hotp(RFC_SECRET, 1), Vec::new());
    for _ in 0..3 {
        nas.send(&burst.0).await;
    }
    let first = nas.receive(ANSWER).await.expect("an answer to the burst");
    let answer = nas.check(&first, &burst.1);
    assert_eq!(answer.code, Code::AccessAccept, "{answer:?}");
    let deadline = std::time::Instant::now() + PATIENCE;
    while node.metric(CACHED).await + node.metric(IN_FLIGHT).await < 4 {
        assert!(
            std::time::Instant::now() < deadline,
            "the two copies were neither answered from the cache nor dropped as in flight"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    while let Some(more) = nas.try_receive() {
        assert_eq!(more, first, "a copy got a different answer");
    }
    let audit = node.audit("dave").await;
    let accepted = audit.iter().filter(|r| r["result"] == "accepted").count();
    assert_eq!(
        (audit.len(), accepted),
        (3, 2),
        "one verification per request: {audit:#?}"
    );
}

/// A packet from an address that is no client: no answer, counted; the same
/// request from the client's address is then accepted.
#[tokio::test]
async fn unknown_client_is_dropped_and_counted() {
    let node = RadiusNode::start(
        &Db::sqlite(),
        &[&[
            "--name",
            "branch",
            "--address",
            "127.0.0.2/32",
            "--secret",
            SECRET,
        ]],
    )
    .await;
    node.user_with_token("erin", "hotp").await;
    let code = hotp(RFC_SECRET, 0);

    let stranger = Nas::bind("127.0.0.1", node.port, SECRET).await;
    let request = stranger.request(1, "erin", &code, Vec::new());
    stranger.send(&request.0).await;
    node.wait_metric(UNKNOWN, 1).await;
    assert!(
        stranger.receive(SILENCE).await.is_none(),
        "an unknown client gets no answer"
    );
    stranger.send(&request.0).await;
    node.wait_metric(UNKNOWN, 2).await;
    let warned = node.wait_log("unknown client").await;
    assert_eq!(
        warned,
        1,
        "an unknown client is logged at most once a minute:\n{}",
        node.server.stderr()
    );

    let branch = Nas::bind("127.0.0.2", node.port, SECRET).await;
    let answer = branch
        .ask(&branch.request(2, "erin", &code, Vec::new()), ANSWER)
        .await;
    assert_eq!(answer.code, Code::AccessAccept, "{answer:?}");
    let audit = node.audit("erin").await;
    assert_eq!(audit.len(), 1, "the stranger verified nothing: {audit:#?}");
    assert_eq!(audit[0]["api_key"], "radius:branch");
    assert_eq!(audit[0]["source_address"], "127.0.0.2");
}

/// Message-Authenticator is required unless a client is added with
/// --allow-missing-message-authenticator (with a warning at start); a
/// wrong one is refused even then.
#[tokio::test]
async fn message_authenticator_may_be_relaxed_per_client() {
    let node = RadiusNode::start(
        &Db::sqlite(),
        &[
            &[
                "--name",
                "legacy",
                "--address",
                "127.0.0.2",
                "--secret",
                SECRET,
                "--allow-missing-message-authenticator",
            ],
            &[
                "--name",
                "strict",
                "--address",
                "127.0.0.3",
                "--secret",
                SECRET,
            ],
        ],
    )
    .await;
    assert!(
        node.server.stderr().contains("BlastRADIUS"),
        "a relaxed client is warned about at start:\n{}",
        node.server.stderr()
    );
    node.user_with_token("frank", "hotp").await;

    let strict = Nas::bind("127.0.0.3", node.port, SECRET).await;
    strict
        .send(
            &strict
                .request_without_message_authenticator(1, "frank", &hotp(RFC_SECRET, 0))
                .0,
        )
        .await;
    node.wait_metric(MISSING_MA, 1).await;
    assert!(
        strict.receive(SILENCE).await.is_none(),
        "dropped, not answered"
    );

    let legacy = Nas::bind("127.0.0.2", node.port, SECRET).await;
    let old = legacy.request_without_message_authenticator(2, "frank", &hotp(RFC_SECRET, 0));
    let answer = legacy.ask(&old, ANSWER).await;
    assert_eq!(answer.code, Code::AccessAccept, "{answer:?}");
    let new = legacy.request(3, "frank", &hotp(RFC_SECRET, 1), Vec::new());
    let answer = legacy.ask(&new, ANSWER).await;
    assert_eq!(answer.code, Code::AccessAccept, "{answer:?}");

    let forger = Nas::bind("127.0.0.2", node.port, "a-different-secret-99").await;
    let forged = forger.request(4, "frank", &hotp(RFC_SECRET, 2), Vec::new());
    forger.send(&forged.0).await;
    node.wait_metric(BAD_MA, 1).await;
    assert!(
        forger.receive(SILENCE).await.is_none(),
        "dropped, not answered"
    );
    assert_eq!(node.audit("frank").await.len(), 2);
}

/// Malformed datagrams from a known client: no answer, each counted as
/// malformed, no panic; a valid request is answered afterwards.
#[tokio::test]
async fn malformed_packets_are_dropped_and_counted() {
    let node = RadiusNode::start(
        &Db::sqlite(),
        &[&[
            "--name",
            "vpn",
            "--address",
            "127.0.0.1",
            "--secret",
            SECRET,
        ]],
    )
    .await;
    node.user_with_token("grace", "hotp").await;
    let nas = Nas::bind("127.0.0.1", node.port, SECRET).await;
    let valid = nas.request(
        9,
        "grace",
        &hotp(RFC_SECRET, 0),
        vec![Attribute::new(attr::NAS_IDENTIFIER, "vpn-1")],
    );
    let corpus = malformed_corpus(&valid.0);
    for (what, datagram) in &corpus {
        assert!(
            Packet::decode(datagram).is_err(),
            "corpus entry '{what}' should not decode"
        );
        nas.send(datagram).await;
    }
    let answer = nas.ask(&valid, ANSWER).await;
    assert_eq!(answer.code, Code::AccessAccept, "still serving: {answer:?}");
    node.wait_metric(MALFORMED, corpus.len() as u64).await;
    assert_eq!(
        node.metric(MALFORMED).await,
        corpus.len() as u64,
        "each malformed datagram is counted once"
    );
    assert!(
        nas.try_receive().is_none(),
        "nothing malformed was answered"
    );
    let mut server = node.server;
    assert!(server.is_running(), "the server survived the corpus");
    assert!(!server.stderr().contains("panicked"), "{}", server.stderr());
}

/// `countersign radius client add|remove` on a running server: the change
/// takes effect without a restart (the store is reloaded every 5 s).
#[tokio::test]
async fn clients_added_and_removed_while_running() {
    let node = RadiusNode::start(&Db::sqlite(), &[]).await;
    let nas = Nas::bind("127.0.0.4", node.port, SECRET).await;
    let ask = |id: u8| nas.request(id, "nobody", "123456", Vec::new());
    let (first, _) = ask(0);
    nas.send(&first).await;
    node.wait_metric(UNKNOWN, 1).await;

    node.server.cli_ok(&[
        "radius",
        "client",
        "add",
        "--name",
        "late",
        "--address",
        "127.0.0.4",
        "--secret",
        SECRET,
    ]);
    let listed = node.server.cli_ok(&["radius", "client", "list"]);
    assert!(
        listed.contains("late") && listed.contains("127.0.0.4"),
        "{listed}"
    );
    let deadline = std::time::Instant::now() + PATIENCE;
    let mut id = 1u8;
    let answer = loop {
        let request = ask(id);
        nas.send(&request.0).await;
        if let Some(raw) = nas.receive(Duration::from_millis(250)).await {
            break nas.check(&raw, &request.1);
        }
        assert!(
            std::time::Instant::now() < deadline,
            "a client added with the CLI is not served within {PATIENCE:?}"
        );
        id = id.wrapping_add(1);
    };
    assert_eq!(answer.code, Code::AccessReject, "{answer:?}");

    node.server.cli_ok(&["radius", "client", "remove", "late"]);
    loop {
        let dropped = node.metric(UNKNOWN).await;
        id = id.wrapping_add(1);
        nas.send(&ask(id).0).await;
        // An answer may still come while the old list is in use; once the
        // request is counted as from an unknown client, the removal took effect.
        let answered = nas.receive(Duration::from_millis(250)).await.is_some();
        if !answered && node.metric(UNKNOWN).await > dropped {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline + PATIENCE,
            "a removed client is still served"
        );
    }
}
