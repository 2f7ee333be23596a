//! The settings of the SIP path (`[voice.sip]` in the server's TOML; the
//! server maps its file and environment onto [`SipConfig`]).

use crate::dial::{DialPlan, DialRule};
use crate::g711::Law;
use crate::keys::KeyRules;
use std::net::{IpAddr, SocketAddr};
use std::ops::RangeInclusive;
use std::time::Duration;

/// How SIP messages travel to the trunk, the proxy and the registrar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SipTransport {
    #[default]
    Udp,
    /// TCP, with a listener on the same port as UDP for requests back to us.
    Tcp,
    /// TLS over TCP to the trunk, proxy and registrar (no listener: requests
    /// back to us come over the connection we opened, RFC 5923 `alias`). The
    /// trunk's certificate is checked against `ca_file` or the system's roots,
    /// for the trunk's host name (SNI).
    Tls,
}

impl SipTransport {
    /// `udp`, `tcp` or `tls` (any case).
    pub fn from_name(name: &str) -> Option<Self> {
        match name.to_ascii_lowercase().as_str() {
            "udp" => Some(SipTransport::Udp),
            "tcp" => Some(SipTransport::Tcp),
            "tls" => Some(SipTransport::Tls),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            SipTransport::Udp => "udp",
            SipTransport::Tcp => "tcp",
            SipTransport::Tls => "tls",
        }
    }
}

/// Everything a [`crate::Caller`] needs.
#[derive(Debug, Clone)]
pub struct SipConfig {
    /// `host:port` the INVITEs go to (the PBX or trunk); the Request-URI is
    /// `sip:<dialled>@<trunk>`.
    pub trunk: String,
    /// UDP (the default), TCP or TLS.
    pub transport: SipTransport,
    /// With TLS: a PEM file of the CA certificate(s) the trunk's certificate
    /// must chain to; without it, the system's roots.
    pub ca_file: Option<std::path::PathBuf>,
    /// Local SIP address (UDP); port 0 picks one.
    pub bind: SocketAddr,
    /// The address to advertise in Via, Contact and SDP when it differs from
    /// the bound one (1:1 NAT); by default the bound address (an unspecified
    /// bind advertises the address of the route to the trunk).
    pub public_address: Option<IpAddr>,
    /// `host:port` of a registrar to REGISTER with (digest with `username`/`password`).
    pub registrar: Option<String>,
    pub username: Option<String>,
    pub password: Option<String>,
    /// `host:port` every request is sent through (a loose-routing proxy).
    pub outbound_proxy: Option<String>,
    pub dial_rewrite: Vec<DialRule>,
    /// UDP ports for RTP; one even port per call.
    pub rtp_ports: RangeInclusive<u16>,
    /// The laws offered, in order of preference.
    pub codecs: Vec<Law>,
    /// The user part of From (the number the callee sees); else `username`, else `countersign`.
    pub caller_id: Option<String>,
    /// The display name in From.
    pub caller_name: Option<String>,
    /// How long the phone may ring before the call counts as unanswered.
    pub ring_timeout: Duration,
    /// How long after the answer the callee has to complete the keys.
    pub key_timeout: Duration,
    /// Silence between two plays of the prompt.
    pub repeat_gap: Duration,
    pub keys: KeyRules,
    /// Offer telephone-event/8000 (RFC 4733). Without it many phones send no keys at all.
    pub telephone_event: bool,
    /// Seconds a registration lasts (the server refreshes it at half time).
    pub register_expires: u32,
}

impl Default for SipConfig {
    fn default() -> Self {
        SipConfig {
            trunk: String::new(),
            transport: SipTransport::Udp,
            ca_file: None,
            bind: SocketAddr::from(([0, 0, 0, 0], 5060)),
            public_address: None,
            registrar: None,
            username: None,
            password: None,
            outbound_proxy: None,
            dial_rewrite: Vec::new(),
            rtp_ports: 10000..=20000,
            codecs: vec![Law::Ulaw, Law::Alaw],
            caller_id: None,
            caller_name: Some("Countersign".into()),
            ring_timeout: Duration::from_secs(30),
            key_timeout: Duration::from_secs(30),
            repeat_gap: Duration::from_millis(1500),
            keys: KeyRules::default(),
            telephone_event: true,
            register_expires: 600,
        }
    }
}

impl SipConfig {
    /// Every problem at once, each saying what to change.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.trunk.trim().is_empty() {
            out.push("voice.sip.trunk is empty: set it to the PBX or SIP trunk, host:port (e.g. 192.0.2.10:5060)".into());
        }
        if self.rtp_ports.is_empty() || !self.rtp_ports.clone().any(|p| p % 2 == 0) {
            out.push(format!(
                "voice.sip.rtp_ports {}-{} holds no even port: give a range such as 10000-20000",
                self.rtp_ports.start(),
                self.rtp_ports.end()
            ));
        }
        if self.codecs.is_empty() {
            out.push("voice.sip.codecs is empty: list PCMU, PCMA or both".into());
        }
        if self.registrar.is_some() && (self.username.is_none() || self.password.is_none()) {
            out.push("voice.sip.registrar is set but username or password is not: registration needs both".into());
        }
        if let Err(e) = DialPlan::new(&self.dial_rewrite) {
            out.push(e.to_string());
        }
        if self.ca_file.is_some() && self.transport != SipTransport::Tls {
            out.push("voice.sip.ca_file is set but voice.sip.transport is not \"tls\": set transport = \"tls\" or remove ca_file".into());
        }
        if self.ring_timeout.is_zero() || self.key_timeout.is_zero() {
            out.push("voice ring and key timeouts must be longer than 0 seconds".into());
        }
        out
    }
}

/// `10000-20000` (or one port, `10000`) to a range.
pub fn parse_port_range(text: &str) -> Option<RangeInclusive<u16>> {
    let (a, b) = text.split_once('-').unwrap_or((text, text));
    let (a, b): (u16, u16) = (a.trim().parse().ok()?, b.trim().parse().ok()?);
    (a > 0 && a <= b).then_some(a..=b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_are_listed_together() {
        let c = SipConfig {
            rtp_ports: 10001..=10001,
            codecs: vec![],
            registrar: Some("pbx:5060".into()),
            dial_rewrite: vec![DialRule {
                pattern: "(".into(),
                replace: String::new(),
            }],
            ..SipConfig::default()
        };
        let p = c.problems();
        assert_eq!(p.len(), 5, "{p:#?}");
        let ok = SipConfig {
            trunk: "127.0.0.1:5080".into(),
            ..SipConfig::default()
        };
        assert!(ok.problems().is_empty());
    }

    #[test]
    fn port_ranges() {
        assert_eq!(parse_port_range("10000-20000"), Some(10000..=20000));
        assert_eq!(parse_port_range(" 4000 "), Some(4000..=4000));
        assert_eq!(parse_port_range("20000-10000"), None);
        assert_eq!(parse_port_range("0-10"), None);
        assert_eq!(parse_port_range("x"), None);
        assert_eq!(SipTransport::from_name("TCP"), Some(SipTransport::Tcp));
        assert_eq!(SipTransport::from_name("tls"), Some(SipTransport::Tls));
        assert_eq!(SipTransport::from_name("sctp"), None);
        assert_eq!(SipTransport::Tls.name(), "tls");
    }
}
