//! The `[voice]` section: phone calls (issue 25). `provider = "sip"` places
//! them from the server itself through `[voice.sip]`; `provider = "http"`
//! through a cloud provider's REST API in the TwiML convention
//! (`[voice.http]`, docs/decisions/0006); off unless provider is set.

use std::path::PathBuf;
use std::time::Duration;

use countersign_domain::methods::call::CallPolicy;
use countersign_voice::config::parse_port_range;
use countersign_voice::dial::DialRule;
use countersign_voice::g711::Law;
use countersign_voice::http::HttpConfig;
use countersign_voice::{SipConfig, SipTransport};

use super::reader::Reader;

/// Which provider places the calls.
#[derive(Debug, Clone)]
pub enum VoiceProvider {
    /// The server is a SIP user agent calling through the PBX or trunk.
    Sip(Box<SipConfig>),
    /// A cloud provider (Twilio, SignalWire, jambonz) calls; the keys come
    /// back in signed callbacks to `/voice/v1`.
    Http(Box<HttpConfig>),
}

#[derive(Debug, Clone)]
pub struct VoiceConfig {
    pub provider: VoiceProvider,
    pub policy: CallPolicy,
    /// The operator's own prompts, `<dir>/<lang>/<name>.wav`.
    pub prompts_dir: Option<PathBuf>,
    /// The organisation's name the greeting says ("This is ACME."); default `otp.issuer`.
    pub account_name: String,
    /// Say the account name with espeak-ng when it is on the PATH at start (else spelled).
    pub speak_account_name: bool,
}

pub(super) fn load(r: &mut Reader) -> Option<VoiceConfig> {
    let provider = r.text("voice.provider")?;
    let ring = r.int("voice.ring_seconds", 5, 120);
    let key = r.int("voice.key_seconds", 5, 120);
    let policy = CallPolicy {
        ring_seconds: ring,
        key_seconds: key,
        pin_mode: r.flag("voice.pin_mode"),
        fraud_code: keys(r, "voice.fraud_code"),
        deny_code: keys(r, "voice.deny_code"),
    };
    let provider = match provider.as_str() {
        "sip" => VoiceProvider::Sip(Box::new(sip(r, ring, key))),
        "http" => VoiceProvider::Http(Box::new(http(r, ring, key))),
        other => {
            r.problems.push(format!(
                "voice.provider: '{other}' is not a provider: use sip or http (or leave it unset for no calls)"
            ));
            return None;
        }
    };
    let account_name = r
        .text("voice.account_name")
        .or_else(|| r.text("otp.issuer"))
        .unwrap_or_else(|| "Countersign".into());
    Some(VoiceConfig {
        provider,
        policy,
        prompts_dir: r.path("voice.prompts_dir"),
        account_name,
        speak_account_name: r.flag("voice.speak_account_name"),
    })
}

/// A key sequence (`0#`): digits, `*` and `#`, ending in `#`; empty for none.
fn keys(r: &mut Reader, path: &str) -> String {
    let text = r.text(path).unwrap_or_default();
    let valid = text.is_empty()
        || (text.ends_with('#')
            && text.len() <= 16
            && text
                .bytes()
                .all(|b| b.is_ascii_digit() || b == b'*' || b == b'#'));
    if !valid {
        r.problems.push(format!(
            "{path}: '{text}' is not a key sequence: digits, * and #, ending in # (e.g. 0#), or empty for none"
        ));
    }
    text
}

fn sip(r: &mut Reader, ring: i64, key: i64) -> SipConfig {
    let defaults = SipConfig::default();
    let mut c = SipConfig {
        trunk: r.text("voice.sip.trunk").unwrap_or_default(),
        registrar: r.text("voice.sip.registrar"),
        username: r.text("voice.sip.username"),
        password: password(r),
        outbound_proxy: r.text("voice.sip.outbound_proxy"),
        caller_id: r.text("voice.sip.caller_id"),
        ring_timeout: Duration::from_secs(ring as u64),
        key_timeout: Duration::from_secs(key as u64),
        ..defaults
    };
    let transport = r
        .text("voice.sip.transport")
        .unwrap_or_else(|| "udp".into());
    match SipTransport::from_name(&transport) {
        Some(t) => c.transport = t,
        None => r.problems.push(format!(
            "voice.sip.transport: '{transport}' is not a transport: use udp, tcp or tls"
        )),
    }
    c.ca_file = r.path("voice.sip.ca_file");
    if let Some(listen) = r.text("voice.sip.listen") {
        match listen.parse() {
            Ok(addr) => c.bind = addr,
            Err(_) => r.problems.push(format!(
                "voice.sip.listen: '{listen}' is not an address:port like 0.0.0.0:5060"
            )),
        }
    }
    if let Some(public) = r.text("voice.sip.public_address") {
        match public.parse() {
            Ok(ip) => c.public_address = Some(ip),
            Err(_) => r.problems.push(format!(
                "voice.sip.public_address: '{public}' is not an IP address"
            )),
        }
    }
    let ports = r
        .text("voice.sip.rtp_ports")
        .unwrap_or_else(|| "10000-20000".into());
    match parse_port_range(&ports) {
        Some(range) => c.rtp_ports = range,
        None => r.problems.push(format!(
            "voice.sip.rtp_ports: '{ports}' is not a port range like 10000-20000"
        )),
    }
    let codecs = r.list("voice.sip.codecs");
    if !codecs.is_empty() {
        c.codecs = codecs.iter().filter_map(|n| Law::from_name(n)).collect();
        if c.codecs.len() != codecs.len() {
            r.problems.push(format!(
                "voice.sip.codecs: {codecs:?} holds a name other than PCMU and PCMA"
            ));
        }
    }
    c.dial_rewrite = dial_rules(r);
    for problem in c.problems() {
        r.problems.push(problem);
    }
    c
}

/// `["^\\+44 => 9044", ...]`: a regular expression and its replacement.
fn dial_rules(r: &mut Reader) -> Vec<DialRule> {
    let mut rules = Vec::new();
    for text in r.list("voice.sip.dial_rewrite") {
        match text.split_once("=>") {
            Some((pattern, replace)) => rules.push(DialRule {
                pattern: pattern.trim().to_string(),
                replace: replace.trim().to_string(),
            }),
            None => r.problems.push(format!(
                "voice.sip.dial_rewrite: '{text}' is not a rule: write PATTERN => REPLACEMENT, e.g. ^\\+44 => 9044"
            )),
        }
    }
    rules
}

/// `password` (or its environment variable, or _FILE), else `password_file`.
fn password(r: &mut Reader) -> Option<String> {
    secret(r, "voice.sip.password")
}

/// `KEY` (or its environment variable), else the file `KEY_file` names.
fn secret(r: &mut Reader, key: &str) -> Option<String> {
    if let Some(text) = r.text(key) {
        return Some(text);
    }
    let path = r.text(&format!("{key}_file"))?;
    match std::fs::read_to_string(&path) {
        Ok(text) => Some(text.trim_end_matches(['\r', '\n']).to_string()),
        Err(e) => {
            r.problems
                .push(format!("{key}_file: cannot read {path}: {e}"));
            None
        }
    }
}

/// `[voice.http]`, with `public_url` for the callbacks.
fn http(r: &mut Reader, ring: i64, key: i64) -> HttpConfig {
    let defaults = HttpConfig::default();
    let c = HttpConfig {
        api_base: r
            .text("voice.http.api_base")
            .unwrap_or(defaults.api_base.clone()),
        account_sid: r.text("voice.http.account_sid").unwrap_or_default(),
        auth_token: secret(r, "voice.http.auth_token").unwrap_or_default(),
        from: r.text("voice.http.from").unwrap_or_default(),
        public_url: r.text("public_url").unwrap_or_default(),
        ring_timeout: Duration::from_secs(ring as u64),
        key_timeout: Duration::from_secs(key as u64),
        ..defaults
    };
    for problem in c.problems() {
        r.problems.push(problem);
    }
    c
}
