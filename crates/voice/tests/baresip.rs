//! Calls to baresip, a real SIP phone: it answers, hears the prompt (and
//! records it) and presses keys as RFC 4733 telephone-events.

mod common;

use common::{caller, config, serial, Peers};
use countersign_voice::dial::DialRule;
use countersign_voice::{CallOutcome, Language, Prompts, SipConfig};
use std::time::{Duration, Instant};

const USER: &str = "15550001111";
const NUMBER: &str = "+15550001111";

fn init_logs() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            std::env::var("RUST_LOG").unwrap_or_else(|_| "countersign_voice=info".into()),
        )
        .with_test_writer()
        .try_init();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pound_after_the_whole_prompt_and_the_phone_heard_speech() {
    init_logs();
    let _one = serial().await;
    let peers = Peers::new("pound");
    let prompts = Prompts::builtin().expect("prompts");
    let prompt = prompts.get(Language::En, "accepted");
    let prompt_ms = prompt.duration_ms();
    // The phone answers after 500 ms and presses # once the prompt has been said in full.
    let dtmf_after = prompt_ms + 500;
    let phone = peers.phone(
        "phone",
        USER,
        &format!("--answer-after 500 --dtmf '#' --dtmf-after {dtmf_after}"),
    );
    let caller = caller(config(&phone)).await;
    let report = caller.call(NUMBER, &prompt).await.expect("call placed");
    assert_eq!(report.outcome, CallOutcome::Keys("#".into()), "{report:#?}");
    assert_eq!(report.status, Some(200));
    assert_eq!(report.target, format!("sip:{USER}@{phone}"));
    assert_eq!(report.media.codec, "PCMU");
    assert!(report.media.dtmf_packets >= 3, "{report:#?}");
    assert!(
        report.talk >= Duration::from_millis(prompt_ms),
        "{report:#?}"
    );

    peers.wait_phone("phone", "\"CALL_CLOSED\"", 10);
    let wav = peers.phone_recording("phone");
    let (rms, seconds) = peers.wav_level(&wav);
    // The prompt itself: RMS about 0.08 at -3 dBFS peak; silence is 0.00002.
    let sent = rms_of(prompt.samples());
    println!("prompt {prompt_ms} ms rms {sent:.4}; the phone recorded {seconds:.2} s rms {rms:.4}; talk {:?}", report.talk);
    assert!(
        rms > 0.5 * sent && rms > 0.02,
        "the phone heard no speech: rms {rms} vs {sent}"
    );
    assert!(
        seconds * 1000.0 >= prompt_ms as f64,
        "recording {seconds} s shorter than the prompt"
    );
    assert!(
        seconds < report.talk.as_secs_f64() + 2.0,
        "recording {seconds} s, talk {:?}",
        report.talk
    );
}

fn rms_of(samples: &[i16]) -> f64 {
    let sum: f64 = samples
        .iter()
        .map(|&s| (f64::from(s) / 32768.0).powi(2))
        .sum();
    (sum / samples.len().max(1) as f64).sqrt()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pin_over_pcma_and_the_fraud_code() {
    init_logs();
    let _one = serial().await;
    let peers = Peers::new("pin");
    let prompt = Prompts::builtin()
        .expect("prompts")
        .get(Language::De, "pin");
    let phone = peers.phone(
        "phone",
        USER,
        "--codecs PCMA --answer-after 300 --dtmf '1234#' --dtmf-after 1000",
    );
    let caller = caller(config(&phone)).await;
    let report = caller.call(NUMBER, &prompt).await.expect("call placed");
    assert_eq!(
        report.outcome,
        CallOutcome::Keys("1234#".into()),
        "{report:#?}"
    );
    assert_eq!(report.media.codec, "PCMA");

    let fraud = peers.phone(
        "fraud",
        USER,
        "--answer-after 300 --dtmf '0#' --dtmf-after 800",
    );
    let caller = common::caller(config(&fraud)).await;
    let report = caller.call(NUMBER, &prompt).await.expect("call placed");
    assert_eq!(
        report.outcome,
        CallOutcome::Keys("0#".into()),
        "{report:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn busy_when_the_phone_rejects() {
    init_logs();
    let _one = serial().await;
    let peers = Peers::new("busy");
    // The phone is 9 + the national number: reached only through the dial_rewrite rule.
    let phone = peers.phone("phone", "95550001111", "--answer reject --answer-after 300");
    let rule = DialRule {
        pattern: r"^\+1(\d{10})$".into(),
        replace: "9$1".into(),
    };
    let cfg = SipConfig {
        dial_rewrite: vec![rule],
        ..config(&phone)
    };
    let caller = caller(cfg).await;
    let prompt = Prompts::builtin()
        .expect("prompts")
        .get(Language::En, "approve");
    let report = caller.call(NUMBER, &prompt).await.expect("call placed");
    assert_eq!(report.outcome, CallOutcome::Busy, "{report:#?}");
    assert_eq!(report.status, Some(486));
    assert_eq!(report.target, format!("sip:95550001111@{phone}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unanswered_within_the_ring_timeout_and_cancelled() {
    init_logs();
    let _one = serial().await;
    let peers = Peers::new("ring");
    let phone = peers.phone("phone", USER, "--answer ignore");
    let mut cfg = config(&phone);
    cfg.ring_timeout = Duration::from_secs(3);
    let caller = caller(cfg).await;
    let prompt = Prompts::builtin()
        .expect("prompts")
        .get(Language::En, "approve");
    let started = Instant::now();
    let report = caller.call(NUMBER, &prompt).await.expect("call placed");
    let took = started.elapsed();
    assert_eq!(report.outcome, CallOutcome::Unanswered, "{report:#?}");
    assert!(
        took >= Duration::from_secs(3) && took < Duration::from_secs(6),
        "{took:?}"
    );
    // The phone stops ringing: the CANCEL reached it.
    let closed = peers.wait_phone("phone", "\"CALL_CLOSED\"", 10);
    assert!(!closed.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_key_after_the_key_timeout_and_a_hang_up_mid_input() {
    init_logs();
    let _one = serial().await;
    let peers = Peers::new("nokey");
    let phone = peers.phone("phone", USER, "--answer-after 200");
    let mut cfg = config(&phone);
    cfg.key_timeout = Duration::from_secs(4);
    let caller = caller(cfg).await;
    let prompt = Prompts::builtin()
        .expect("prompts")
        .get(Language::En, "approve");
    let report = caller.call(NUMBER, &prompt).await.expect("call placed");
    let expected = CallOutcome::NoKey {
        partial: String::new(),
        hung_up: false,
    };
    assert_eq!(report.outcome, expected, "{report:#?}");
    assert!(
        report.talk >= Duration::from_secs(4) && report.talk < Duration::from_millis(5500),
        "{report:#?}"
    );
    assert!(report.media.packets_sent >= 190, "{report:#?}");
    peers.wait_phone("phone", "\"CALL_CLOSED\"", 10);

    let quitter = peers.phone(
        "quitter",
        USER,
        "--answer-after 200 --dtmf 12 --dtmf-after 500 --hangup-after 2500",
    );
    let caller = common::caller(config(&quitter)).await;
    let report = caller.call(NUMBER, &prompt).await.expect("call placed");
    let expected = CallOutcome::NoKey {
        partial: "12".into(),
        hung_up: true,
    };
    assert_eq!(report.outcome, expected, "{report:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_telephone_event_in_the_offer_baresip_sends_no_keys() {
    init_logs();
    let _one = serial().await;
    let peers = Peers::new("notelev");
    let phone = peers.phone(
        "phone",
        USER,
        "--answer-after 200 --dtmf '#' --dtmf-after 500",
    );
    let mut cfg = config(&phone);
    cfg.telephone_event = false;
    cfg.key_timeout = Duration::from_secs(3);
    let caller = caller(cfg).await;
    let prompt = Prompts::builtin()
        .expect("prompts")
        .get(Language::En, "approve");
    let report = caller.call(NUMBER, &prompt).await.expect("call placed");
    assert!(
        matches!(report.outcome, CallOutcome::NoKey { .. }),
        "{report:#?}"
    );
    assert_eq!(report.media.dtmf_packets, 0);
}
