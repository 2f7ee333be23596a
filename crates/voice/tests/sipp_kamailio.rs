//! Calls answered by SIPp (keys as SIP INFO, or as RFC 4733 from a pcap)
//! and calls through Kamailio with digest authentication (401 on REGISTER,
//! 407 on INVITE) to a registered baresip.

mod common;

use common::{caller, config, serial, Peers};
use countersign_voice::{
    CallOutcome, CallReport, Language, Prompts, RegistrationState, SipConfig, SipTransport,
};
use std::time::Duration;

fn prompt() -> countersign_voice::Prompt {
    Prompts::builtin()
        .expect("prompts")
        .get(Language::En, "pin")
}

/// One call to a SIPp answering machine started with `args`, from a caller
/// configured for it and changed by `adjust`; SIPp must count it successful
/// (it got our BYE).
async fn call_sipp(
    name: &str,
    args: &str,
    adjust: impl FnOnce(SipConfig) -> SipConfig,
) -> (Peers, CallReport) {
    let peers = Peers::new(name);
    let uas = peers.sipp_uas("uas", args);
    let caller = caller(adjust(config(&uas))).await;
    let report = caller
        .call("+15550001111", &prompt())
        .await
        .expect("call placed");
    assert_eq!(
        peers.sh(&format!("sip_sipp_wait '{}' 15; echo $?", peers.sub("uas"))),
        "0",
        "SIPp counted the call as failed: {report:#?}"
    );
    (peers, report)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sipp_sends_the_keys_as_sip_info() {
    let _one = serial().await;
    let args = "--info --digits '1234#' --answer-after 300 --dtmf-after 800 --calls 1";
    let (_peers, report) = call_sipp("info", args, |cfg| cfg).await;
    assert_eq!(
        report.outcome,
        CallOutcome::Keys("1234#".into()),
        "{report:#?}"
    );
    assert_eq!(report.media.dtmf_packets, 0, "the keys came by INFO only");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_tcp_to_sipp() {
    let _one = serial().await;
    let args = "--tcp --info --digits '0#' --answer-after 300 --dtmf-after 800 --calls 1";
    let tcp = |cfg| SipConfig {
        transport: SipTransport::Tcp,
        ..cfg
    };
    let (peers, report) = call_sipp("tcp", args, tcp).await;
    assert_eq!(
        report.outcome,
        CallOutcome::Keys("0#".into()),
        "{report:#?}"
    );
    let messages =
        std::fs::read_to_string(peers.dir().join("uas/messages.log")).unwrap_or_default();
    assert!(messages.contains("Via: SIP/2.0/TCP"), "{messages}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sipp_sends_the_keys_as_rfc4733_from_a_pcap() {
    let _one = serial().await;
    let args = "--digits '0#' --answer-after 300 --dtmf-after 800 --calls 1";
    let (_peers, report) = call_sipp("pcap", args, |cfg| cfg).await;
    assert_eq!(
        report.outcome,
        CallOutcome::Keys("0#".into()),
        "{report:#?}"
    );
    // 8 packets per key and at least one of the end packets of #.
    assert!(report.media.dtmf_packets > 2 * 8, "{report:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn through_kamailio_with_digest_registration_and_invite_challenge() {
    let _one = serial().await;
    let peers = Peers::new("kamailio");
    let kam = peers.kamailio("kam", "--auth --invite-auth --qop --password s3cret");
    // The user's phone registers as 1001 (answering the 401 itself).
    peers.phone(
        "phone",
        "1001",
        &format!(
            "--registrar {kam} --password s3cret --answer-after 300 --dtmf '#' --dtmf-after 1000"
        ),
    );
    peers.wait_phone("phone", "\"REGISTER_OK\"", 10);
    let cfg = SipConfig {
        registrar: Some(kam.clone()),
        username: Some("countersign".into()),
        password: Some("s3cret".into()),
        ..config(&kam)
    };
    let caller = caller(cfg).await;
    let state = caller.registered(Duration::from_secs(10)).await;
    assert!(
        matches!(state, RegistrationState::Registered { .. }),
        "{state:?}"
    );
    let location = peers.sh(&format!("sip_kamailio_ul '{}'", peers.sub("kam")));
    assert!(location.contains("countersign"), "{location}");

    let report = caller.call("1001", &prompt()).await.expect("call placed");
    assert_eq!(report.outcome, CallOutcome::Keys("#".into()), "{report:#?}");
    // Kamailio saw each request twice from us: first challenged (401 / 407), then with credentials.
    let log = std::fs::read_to_string(peers.dir().join("kam/kamailio.log")).unwrap_or_default();
    let from = format!("from {}", caller.local_addr());
    let count = |method: &str| {
        log.lines()
            .filter(|l| l.contains(&format!("REQ {method} ")) && l.ends_with(&from))
            .count()
    };
    assert_eq!(count("INVITE"), 2, "{log}");
    assert_eq!(count("REGISTER"), 2, "{log}");

    // A wrong password: the registrar refuses and the INVITE's 407 is final.
    let wrong = SipConfig {
        registrar: Some(kam.clone()),
        username: Some("countersign".into()),
        password: Some("wrong".into()),
        ..config(&kam)
    };
    let caller = common::caller(wrong).await;
    let state = caller.registered(Duration::from_secs(10)).await;
    assert!(
        matches!(state, RegistrationState::Failed { .. }),
        "{state:?}"
    );
    let report = caller.call("1001", &prompt()).await.expect("call placed");
    assert_eq!(report.outcome.label(), "failed", "{report:#?}");
    assert_eq!(report.status, Some(407), "{report:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn through_an_outbound_proxy_when_the_trunk_itself_is_unreachable() {
    let _one = serial().await;
    let peers = Peers::new("proxy");
    let kam = peers.kamailio("kam", "");
    peers.phone(
        "phone",
        "1001",
        &format!("--registrar {kam} --answer-after 300 --dtmf '#' --dtmf-after 800"),
    );
    peers.wait_phone("phone", "\"REGISTER_OK\"", 10);
    // Nothing listens on the trunk's port: only the proxy can carry the call
    // (Kamailio finds 1001 by its user part).
    let cfg = SipConfig {
        outbound_proxy: Some(kam.clone()),
        caller_id: Some("4930123456".into()),
        ..config("127.0.0.1:9")
    };
    let caller = caller(cfg).await;
    let report = caller.call("1001", &prompt()).await.expect("call placed");
    assert_eq!(report.outcome, CallOutcome::Keys("#".into()), "{report:#?}");
    assert_eq!(report.target, "sip:1001@127.0.0.1:9");
    let log = std::fs::read_to_string(peers.dir().join("kam/kamailio.log")).unwrap_or_default();
    let invite = format!(
        "REQ INVITE sip:1001@127.0.0.1:9 from {}",
        caller.local_addr()
    );
    assert!(log.contains(&invite), "{log}");
    // The phone saw the caller id (baresip's CALL_INCOMING names the peer).
    let events = peers.phone_events("phone");
    assert!(events.contains("sip:4930123456@"), "{events}");
}
