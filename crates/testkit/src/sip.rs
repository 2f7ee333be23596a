//! Real SIP peers for tests outside crates/voice (the server's call
//! tests, the call bench): baresip as the user's phone, SIPp, Kamailio.
//! They are started by the functions of crates/voice/tests/peers/sip.sh
//! (the verified recipes of shared/recipes/SIP.md, the same file the voice
//! crate's tests use), on free ports of 127.0.0.1, each test in its own
//! directory; dropping [`SipPeers`] stops everything started there.

use std::path::{Path, PathBuf};
use std::process::Command;

/// One test's SIP peers and their directory.
pub struct SipPeers {
    dir: PathBuf,
}

/// The recipes' shell functions.
pub fn sip_sh() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../voice/tests/peers/sip.sh")
}

impl SipPeers {
    /// Panics with the packages to install when a peer is missing.
    pub fn new(name: &str) -> SipPeers {
        for tool in ["baresip", "sipp", "kamailio", "sox", "python3"] {
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
            "countersign-sip-{name}-{}-{}",
            std::process::id(),
            rand::random::<u32>()
        ));
        std::fs::create_dir_all(&dir).expect("test dir");
        SipPeers { dir }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn sub(&self, name: &str) -> String {
        self.dir.join(name).display().to_string()
    }

    /// Runs `script` in bash with sip.sh sourced; its trimmed stdout.
    /// Panics with the output when it fails.
    pub fn sh(&self, script: &str) -> String {
        let out = Command::new("bash")
            .arg("-c")
            .arg(format!("source '{}'\n{script}", sip_sh().display()))
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

    /// baresip as the phone `user` (`args` for sip_phone_start); its SIP URI.
    pub fn phone(&self, name: &str, user: &str, args: &str) -> String {
        self.sh(&format!(
            "sip_phone_start '{}' --user {user} {args}",
            self.sub(name)
        ))
    }

    /// Waits until a line of a phone's events matches `regex` (grep -E).
    pub fn wait_phone(&self, name: &str, regex: &str, seconds: u32) -> String {
        self.sh(&format!(
            "sip_phone_wait '{}' '{regex}' {seconds}",
            self.sub(name)
        ))
    }

    /// The WAV the phone recorded of what it heard in its last call.
    pub fn phone_recording(&self, name: &str) -> PathBuf {
        PathBuf::from(self.sh(&format!("sip_phone_last_rec '{}'", self.sub(name))))
    }

    /// RMS amplitude (0..1) of a WAV file, as sox measures it.
    pub fn wav_rms(&self, wav: &Path) -> f64 {
        self.sh(&format!("sip_wav_rms '{}'", wav.display()))
            .parse()
            .unwrap_or(-1.0)
    }

    /// Kamailio as registrar and proxy (`args` for sip_kamailio_start); host:port.
    pub fn kamailio(&self, name: &str, args: &str) -> String {
        self.sh(&format!("sip_kamailio_start '{}' {args}", self.sub(name)))
    }

    /// SIPp as a phone or load peer (`args` for sip_sipp_uas_start); host:port.
    pub fn sipp_uas(&self, name: &str, args: &str) -> String {
        self.sh(&format!("sip_sipp_uas_start '{}' {args}", self.sub(name)))
    }
}

impl Drop for SipPeers {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg("-c")
            .arg(format!(
                "source '{}'; sip_stop_all '{}'",
                sip_sh().display(),
                self.dir.display()
            ))
            .status();
        if std::thread::panicking() {
            eprintln!("SIP peer files kept in {}", self.dir.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}
