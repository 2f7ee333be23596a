//! `countersign voice test NUMBER`: places one call with the configured
//! provider and reports it step by step.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::Subcommand;
use countersign_voice::{CallOutcome, CallReport, RegistrationState};
use serde_json::json;

use super::VoiceTelephone;
use crate::cli::Output;
use crate::config::Config;

#[derive(Debug, Subcommand)]
pub enum VoiceCommand {
    /// Call NUMBER (E.164 or an extension), play the prompt and report what
    /// happened: registration, INVITE, answer, codec, keys, result.
    Test {
        number: String,
        /// Play the PIN prompt instead of "press #".
        #[arg(long)]
        pin: bool,
        /// The prompt's language (en, de).
        #[arg(long, default_value = "en")]
        language: String,
    },
}

pub async fn voice(command: VoiceCommand, config: &Config, out: &Output) -> Result<ExitCode> {
    let VoiceCommand::Test {
        number,
        pin,
        language,
    } = command;
    let Some(voice) = &config.voice else {
        bail!("[voice] is not configured: set voice.provider = \"sip\" and voice.sip.trunk");
    };
    let mut steps = Vec::new();
    // A port of its own: the server may hold voice.sip.listen's.
    let mut voice = voice.clone();
    let crate::config::voice::VoiceProvider::Sip(sip) = &mut voice.provider else {
        bail!("countersign voice test places SIP calls only: with voice.provider = \"http\" the provider's callbacks go to the running server (countersign serve), so test with the console's \"send test sign-in\"");
    };
    sip.bind.set_port(0);
    let telephone = VoiceTelephone::start(&voice).await?;
    let caller = telephone.caller().context("a SIP telephone")?;
    steps.push(format!("SIP user agent on {}", caller.local_addr()));
    let registration = caller.registered(Duration::from_secs(10)).await;
    steps.push(match &registration {
        RegistrationState::NotConfigured => "registration: none (static trunk)".to_string(),
        RegistrationState::Pending => {
            "registration: no answer from the registrar in 10 s".to_string()
        }
        RegistrationState::Registered { expires } => {
            format!("registration: registered for {expires} s")
        }
        RegistrationState::Failed { reason } => format!("registration: FAILED: {reason}"),
    });
    let prompt = telephone.prompt(Some(&language), pin);
    let report = match telephone.call(&number, &prompt).await {
        Ok(report) => report,
        Err(e) => bail!("the call could not be placed: {e}"),
    };
    let ok = report_steps(&report, &mut steps);
    let value = json!({
        "steps": steps,
        "outcome": report.outcome.label(),
        "status": report.status,
        "target": report.target,
        "codec": report.media.codec,
        "jitter_ms": report.media.jitter_ms,
    });
    out.show(&value, || steps.join("\n"));
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The call's steps after the registration; whether the keys came.
fn report_steps(report: &CallReport, steps: &mut Vec<String>) -> bool {
    steps.push(format!("INVITE {}", report.target));
    steps.push(match report.status {
        Some(s) => format!(
            "final answer: SIP {s} after {:.1} s",
            report.setup.as_secs_f64()
        ),
        None => format!(
            "final answer: none after {:.1} s",
            report.setup.as_secs_f64()
        ),
    });
    let answered = matches!(
        report.outcome,
        CallOutcome::Keys(_) | CallOutcome::NoKey { .. }
    );
    if answered {
        let m = &report.media;
        steps.push(format!(
            "media: {} with {}, {} packets sent, {} received, {} DTMF packets, jitter {:.1} ms, prompt played {} time(s)",
            m.codec,
            m.remote.map_or_else(|| "-".to_string(), |r| r.to_string()),
            m.packets_sent,
            m.packets_received,
            m.dtmf_packets,
            m.jitter_ms,
            m.prompt_plays
        ));
    }
    let (ok, result) = match &report.outcome {
        CallOutcome::Keys(keys) => (true, format!("keys pressed: {keys}")),
        CallOutcome::NoKey { partial, hung_up } => (
            false,
            format!(
                "no complete input ({partial:?}){}",
                if *hung_up { ", the callee hung up" } else { "" }
            ),
        ),
        CallOutcome::Unanswered => (false, "not answered".to_string()),
        CallOutcome::Busy => (false, "busy".to_string()),
        CallOutcome::Declined => (false, "declined".to_string()),
        CallOutcome::Failed { status, reason } => {
            (false, format!("failed: {reason} (SIP status {status:?})"))
        }
    };
    steps.push(format!("result: {result}"));
    ok
}
