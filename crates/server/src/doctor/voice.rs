//! Phone calls (`[voice]`): the trunk answers SIP OPTIONS, the registration
//! succeeds, the RTP port range has free ports, the codecs and prompts.

use std::time::Duration;

use async_trait::async_trait;
use countersign_domain::ports::diagnostics::Finding;
use countersign_voice::{Caller, Prompts, RegistrationState, SipConfig};

use super::{Check, Doctor};
use crate::config::voice::VoiceProvider;
use crate::config::Config;

pub fn register(doctor: &mut Doctor) {
    doctor.register(Box::new(VoiceCheck));
}

struct VoiceCheck;

/// Ports of the RTP range tried (every second one: RTP takes even ports).
const SAMPLE: usize = 100;

#[async_trait]
impl Check for VoiceCheck {
    async fn run(&self, config: &Config) -> Vec<Finding> {
        let Some(voice) = &config.voice else {
            return Vec::new();
        };
        // The HTTP provider's own checks are in voice_http.rs.
        let mut findings = match &voice.provider {
            VoiceProvider::Sip(sip) => vec![
                trunk(sip).await,
                registration(sip).await,
                rtp_ports(sip),
                codecs(sip),
            ],
            VoiceProvider::Http(_) => Vec::new(),
        };
        findings.push(holds(
            config,
            voice.policy.ring_seconds + voice.policy.key_seconds,
        ));
        findings.push(match Prompts::load(voice.prompts_dir.as_deref()) {
            Ok(_) => Finding::pass(
                "voice.prompts",
                "the prompts load (built in, or from voice.prompts_dir)",
            ),
            Err(e) => Finding::fail(
                "voice.prompts",
                e.to_string(),
                "fix or remove the files named: 8 kHz mono 16-bit PCM WAV",
            ),
        });
        findings
    }
}

/// The RADIUS and LDAP holds must outlast a call's ring and key time.
fn holds(config: &Config, call: i64) -> Finding {
    let mut short = Vec::new();
    if config.radius_listen.is_some() && (config.radius_hold_seconds as i64) < call {
        short.push(format!(
            "radius.hold_seconds {}",
            config.radius_hold_seconds
        ));
    }
    if let Some(ldap) = config
        .ldap
        .as_ref()
        .filter(|l| (l.hold_seconds as i64) < call)
    {
        short.push(format!("ldap.hold_seconds {}", ldap.hold_seconds));
    }
    if short.is_empty() {
        return Finding::pass(
            "voice.holds",
            format!(
                "the doors hold a sign-in at least as long as a call ({call} s of ring and keys)"
            ),
        );
    }
    Finding::warn(
        "voice.holds",
        format!("{} is shorter than a call's ring and key time ({call} s): a call answered late is refused push_timeout", short.join(", ")),
        "raise the hold to about 60 s, and the NAS's or application's timeout above it (docs/voice.md)",
    )
}

async fn trunk(sip: &SipConfig) -> Finding {
    let target = sip.outbound_proxy.as_deref().unwrap_or(&sip.trunk);
    if sip.transport == countersign_voice::SipTransport::Tls {
        // A handshake as a call makes it: the certificate, the name, the roots.
        return match countersign_voice::tls::check(sip).await {
            Ok(words) => Finding::pass("voice.trunk", words),
            Err(words) => Finding::fail("voice.trunk", words, "set voice.sip.ca_file to the CA of the trunk's certificate and voice.sip.trunk to the name in it"),
        };
    }
    match countersign_voice::probe::options(target, sip.transport, Duration::from_secs(4)).await {
        Ok(status) => Finding::pass(
            "voice.trunk",
            format!("{target} answers SIP OPTIONS ({status})"),
        ),
        Err(e) => Finding::fail(
            "voice.trunk",
            format!("{e}: calls cannot be placed"),
            "check voice.sip.trunk (or outbound_proxy), voice.sip.transport, and that the PBX accepts SIP from this host",
        ),
    }
}

/// A second registration from a free port (the server's own is not disturbed).
async fn registration(sip: &SipConfig) -> Finding {
    if sip.registrar.is_none() {
        return Finding::pass(
            "voice.registration",
            "no registrar: the trunk is a static peer",
        );
    }
    let mut probe = sip.clone();
    probe.bind.set_port(0);
    let caller = match Caller::start(probe).await {
        Ok(caller) => caller,
        Err(e) => {
            return Finding::fail(
                "voice.registration",
                e.to_string(),
                "check voice.sip.listen",
            )
        }
    };
    match caller.registered(Duration::from_secs(6)).await {
        RegistrationState::Registered { expires } => Finding::pass(
            "voice.registration",
            format!("registered with the registrar for {expires} s"),
        ),
        RegistrationState::Failed { reason } => Finding::fail(
            "voice.registration",
            format!("the registrar refused: {reason}"),
            "check voice.sip.username and voice.sip.password (or password_file)",
        ),
        state => Finding::fail(
            "voice.registration",
            format!("no registration in 6 s ({state:?})"),
            "check voice.sip.registrar and that it answers REGISTER from this host",
        ),
    }
}

fn rtp_ports(sip: &SipConfig) -> Finding {
    let range = &sip.rtp_ports;
    let even: Vec<u16> = range.clone().filter(|p| p % 2 == 0).collect();
    let tried: Vec<u16> = even.iter().copied().take(SAMPLE).collect();
    let free = tried
        .iter()
        .filter(|p| std::net::UdpSocket::bind(("0.0.0.0", **p)).is_ok())
        .count();
    let words = format!(
        "voice.sip.rtp_ports {}-{}: {} even ports (one per call at once); {free} of the first {} free",
        range.start(),
        range.end(),
        even.len(),
        tried.len()
    );
    match free {
        0 => Finding::fail(
            "voice.rtp_ports",
            words,
            "another program holds these ports: pick a free range",
        ),
        _ if even.len() < 20 => Finding::warn(
            "voice.rtp_ports",
            words,
            "a small range limits the calls at once: give a range of a few hundred ports",
        ),
        _ => Finding::pass("voice.rtp_ports", words),
    }
}

fn codecs(sip: &SipConfig) -> Finding {
    let names: Vec<&str> = sip.codecs.iter().map(|c| c.name()).collect();
    Finding::pass(
        "voice.codecs",
        format!(
            "offered: {}{} (a call uses the first the phone also has; `countersign voice test` shows the one agreed)",
            names.join(", "),
            if sip.telephone_event { " and telephone-event/8000 for keys" } else { "" }
        ),
    )
}
