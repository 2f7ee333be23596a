//! Real SIP peers for the call tests: baresip as the user's phone, SIPp as
//! a phone or load peer, Kamailio as registrar and proxy. They are started
//! by the functions of `tests/peers/sip.sh` (the verified recipes of
//! shared/recipes/SIP.md), on free ports of 127.0.0.1, each test in its own
//! directory; dropping [`Peers`] stops everything started there.
#![allow(dead_code)]

use countersign_voice::{Caller, SipConfig};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// One test's peers and their directory.
pub struct Peers {
    dir: PathBuf,
}

static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Calls are timed in real time on a small machine: one call test at a time.
pub async fn serial() -> tokio::sync::MutexGuard<'static, ()> {
    SERIAL.lock().await
}

impl Peers {
    pub fn new(name: &str) -> Peers {
        for tool in ["baresip", "sipp", "kamailio", "sox", "python3", "tcpdump"] {
            let found = Command::new("sh")
                .args(["-c", &format!("command -v {tool}")])
                .output()
                .map(|o| o.status.success())
                .unwrap_or(false);
            assert!(
                found,
                "{tool} is missing: apt-get install -y baresip-core sip-tester kamailio sox espeak-ng tcpdump (scripts/test does)"
            );
        }
        let dir = std::env::temp_dir().join(format!(
            "countersign-voice-{name}-{}-{}",
            std::process::id(),
            rand::random::<u32>()
        ));
        std::fs::create_dir_all(&dir).expect("test dir");
        Peers { dir }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn sub(&self, name: &str) -> String {
        self.dir.join(name).display().to_string()
    }

    /// Runs `script` in bash with sip.sh sourced; its trimmed stdout. Panics
    /// with the output when it fails.
    pub fn sh(&self, script: &str) -> String {
        let sip_sh = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peers/sip.sh");
        let out = Command::new("bash")
            .arg("-c")
            .arg(format!("source '{}'\n{script}", sip_sh.display()))
            .current_dir(&self.dir)
            .stdin(std::process::Stdio::null())
            .output()
            .expect("bash runs");
        let stdout = String::from_utf8_lossy(&out.stdout).trim().to_string();
        assert!(
            out.status.success(),
            "peer script failed: {script}\nstdout: {stdout}\nstderr: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        stdout
    }

    /// baresip as the phone `user`; `args` for sip_phone_start. Returns host:port.
    pub fn phone(&self, name: &str, user: &str, args: &str) -> String {
        let uri = self.sh(&format!(
            "sip_phone_start '{}' --user {user} {args}",
            self.sub(name)
        ));
        uri.rsplit('@').next().unwrap_or_default().to_string()
    }

    /// The events baresip's agent logged (JSON lines).
    pub fn phone_events(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.join(name).join("events.jsonl")).unwrap_or_default()
    }

    /// The WAV the phone recorded of what it heard in its last call.
    pub fn phone_recording(&self, name: &str) -> PathBuf {
        PathBuf::from(self.sh(&format!("sip_phone_last_rec '{}'", self.sub(name))))
    }

    /// (RMS amplitude 0..1, length in seconds) of a WAV file, as sox measures them.
    pub fn wav_level(&self, wav: &Path) -> (f64, f64) {
        let out = self.sh(&format!(
            "sox '{0}' -n stat 2>&1 | awk '/^RMS +amplitude/ {{r=$3}} /^Length/ {{l=$3}} END {{print r, l}}'",
            wav.display()
        ));
        let mut it = out
            .split_whitespace()
            .map(|v| v.parse::<f64>().unwrap_or(-1.0));
        (it.next().unwrap_or(-1.0), it.next().unwrap_or(-1.0))
    }

    pub fn sipp_uas(&self, name: &str, args: &str) -> String {
        self.sh(&format!("sip_sipp_uas_start '{}' {args}", self.sub(name)))
    }

    pub fn kamailio(&self, name: &str, args: &str) -> String {
        self.sh(&format!("sip_kamailio_start '{}' {args}", self.sub(name)))
    }

    /// Waits until a line of a phone's events matches `regex` (grep -E).
    pub fn wait_phone(&self, name: &str, regex: &str, seconds: u32) -> String {
        self.sh(&format!(
            "sip_phone_wait '{}' '{regex}' {seconds}",
            self.sub(name)
        ))
    }
}

impl Drop for Peers {
    fn drop(&mut self) {
        let sip_sh = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peers/sip.sh");
        let _ = Command::new("bash")
            .arg("-c")
            .arg(format!(
                "source '{}'; sip_stop_all '{}'",
                sip_sh.display(),
                self.dir.display()
            ))
            .status();
        if std::thread::panicking() {
            eprintln!("peer files kept in {}", self.dir.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// A caller on 127.0.0.1 that dials `trunk`, with short timeouts for tests.
pub fn config(trunk: &str) -> SipConfig {
    SipConfig {
        trunk: trunk.to_string(),
        bind: "127.0.0.1:0".parse().expect("addr"),
        rtp_ports: 30000..=39999,
        ring_timeout: Duration::from_secs(10),
        key_timeout: Duration::from_secs(20),
        ..SipConfig::default()
    }
}

pub async fn caller(config: SipConfig) -> Caller {
    Caller::start(config)
        .await
        .expect("the SIP user agent starts")
}
