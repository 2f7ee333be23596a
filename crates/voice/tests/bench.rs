//! The load bench of issue 25: N concurrent calls (100 by default,
//! `VOICE_BENCH_CALLS`), each answered by SIPp, which presses # as RFC 4733
//! events; prints the caller's CPU per call and its RTP pacing and jitter.
//! Timing numbers are not asserted (house rule): run it by hand,
//!
//!   cargo test -p countersign-voice --release --test bench -- --ignored --nocapture
//!
//! and record the numbers in docs/benchmarks.md.

mod common;

use common::{caller, config, serial, Peers};
use countersign_voice::{CallOutcome, Language, Prompts};
use std::time::{Duration, Instant};

/// This process's user + system CPU time (from /proc/self/stat, in clock ticks of 10 ms).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after_name = stat.rsplit(')').next().unwrap_or("");
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // Fields 14 and 15 of the line; 12 and 13 after "pid (comm)".
    (ticks(11) + ticks(12)) / 100.0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "bench: cargo test -p countersign-voice --release --test bench -- --ignored --nocapture"]
async fn concurrent_calls_answered_by_sipp() {
    let _one = serial().await;
    let calls: usize = std::env::var("VOICE_BENCH_CALLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let peers = Peers::new("bench");
    let uas = peers.sipp_uas(
        "uas",
        &format!("--digits '#' --answer-after 500 --dtmf-after 3000 --calls {calls} --timeout 120"),
    );
    let mut cfg = config(&uas);
    cfg.ring_timeout = Duration::from_secs(30);
    cfg.key_timeout = Duration::from_secs(30);
    let caller = caller(cfg).await;
    let prompt = Prompts::builtin()
        .expect("prompts")
        .get(Language::En, "approve");

    let (cpu0, t0) = (cpu_seconds(), Instant::now());
    let tasks: Vec<_> = (0..calls)
        .map(|_| {
            let (caller, prompt) = (caller.clone(), prompt.clone());
            tokio::spawn(async move { caller.call("+15550001111", &prompt).await })
        })
        .collect();
    let mut reports = Vec::new();
    for task in tasks {
        reports.push(task.await.expect("call task").expect("call placed"));
    }
    let (cpu, wall) = (cpu_seconds() - cpu0, t0.elapsed());

    let accepted = reports
        .iter()
        .filter(|r| r.outcome == CallOutcome::Keys("#".into()))
        .count();
    let jitters: Vec<f64> = reports.iter().map(|r| r.media.send_jitter_ms).collect();
    let mean_jitter = jitters.iter().sum::<f64>() / jitters.len().max(1) as f64;
    let max_jitter = jitters.iter().cloned().fold(0.0, f64::max);
    let max_late = reports
        .iter()
        .map(|r| r.media.max_send_lateness_ms)
        .fold(0.0, f64::max);
    let packets: u64 = reports.iter().map(|r| r.media.packets_sent).sum();
    let talk: f64 = reports.iter().map(|r| r.talk.as_secs_f64()).sum::<f64>() / calls as f64;
    let setup: f64 = reports.iter().map(|r| r.setup.as_secs_f64()).sum::<f64>() / calls as f64;
    println!("voice bench: {calls} concurrent calls answered by SIPp, each pressing # (RFC 4733)");
    println!("  accepted (keys \"#\"): {accepted}/{calls}; wall {:.2} s; mean setup {:.3} s, mean talk {:.2} s", wall.as_secs_f64(), setup, talk);
    println!(
        "  caller CPU: {cpu:.2} s in all, {:.1} ms per call; RTP packets sent: {packets}",
        cpu * 1000.0 / calls as f64
    );
    println!("  RTP send jitter (RFC 3550): mean {mean_jitter:.3} ms, worst call {max_jitter:.3} ms; latest frame {max_late:.1} ms late");
    for r in reports
        .iter()
        .filter(|r| r.outcome != CallOutcome::Keys("#".into()))
        .take(5)
    {
        println!("  not accepted: {r:?}");
    }
    let rc = peers.sh(&format!("sip_sipp_wait '{}' 60; echo $?", peers.sub("uas")));
    println!("  SIPp exit code {rc} (0: every call completed)");
    assert_eq!(accepted, calls);
}
