//! A real SMTP server for the mail tests: `peers/smtp_sink.py` on Python's
//! aiosmtpd (scripts/test installs it), saving every message it accepts,
//! and Python's email package to read the messages back as MIME.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use crate::{free_port, python, wait_until_async, Peer, TempDir};

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/peers/smtp_sink.py");

/// How the sink protects the connection.
pub enum SinkTls {
    None,
    StartTls,
    Implicit,
}

/// The sink on 127.0.0.1:`port`, stopped on drop. Recipients at
/// rejected.example are refused for good, at later.example for now.
pub struct SmtpSink {
    pub port: u16,
    pub dir: TempDir,
    peer: Peer,
}

impl SmtpSink {
    /// A sink without AUTH or TLS on a free port.
    pub async fn start() -> SmtpSink {
        Self::start_with(None, SinkTls::None).await
    }

    /// A sink without AUTH or TLS on `port` (chosen before, e.g. for a
    /// server that was configured while nothing listened there).
    pub async fn start_on(port: u16) -> SmtpSink {
        Self::launch(port, None, SinkTls::None).await
    }

    /// `login`: (user, password) required by AUTH. TLS uses a throwaway
    /// self-signed certificate for 127.0.0.1, which clients do not trust.
    pub async fn start_with(login: Option<(&str, &str)>, tls: SinkTls) -> SmtpSink {
        Self::launch(free_port(), login, tls).await
    }

    async fn launch(port: u16, login: Option<(&str, &str)>, tls: SinkTls) -> SmtpSink {
        let dir = TempDir::new("smtp-sink");
        let out = dir.path().join("mail");
        std::fs::create_dir(&out).expect("create the mail directory");
        let mut args = vec![
            SCRIPT.to_owned(),
            "serve".into(),
            port.to_string(),
            path_arg(&out),
        ];
        if let Some((user, password)) = login {
            args.extend([
                "--user".into(),
                user.into(),
                "--password".into(),
                password.into(),
            ]);
        }
        let flag = match tls {
            SinkTls::None => None,
            SinkTls::StartTls => Some("--starttls"),
            SinkTls::Implicit => Some("--implicit"),
        };
        if let Some(flag) = flag {
            let (cert, key) = self_signed(dir.path());
            args.extend([flag.into(), cert, key]);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut peer = Peer::spawn("smtp sink", dir.path().join("sink.log"), &python(), &args);
        let ready = wait_until_async(Duration::from_secs(15), async || {
            peer.output().lines().any(|l| l == "ready")
        })
        .await;
        peer.assert_running();
        assert!(
            ready,
            "the SMTP sink did not start (is aiosmtpd installed for {}? scripts/test \
             installs it and sets COUNTERSIGN_TEST_PYTHON):\n{}",
            python().display(),
            peer.output()
        );
        SmtpSink { port, dir, peer }
    }

    fn mail_dir(&self) -> PathBuf {
        self.dir.path().join("mail")
    }

    /// The saved messages, oldest first: (raw file, envelope JSON).
    pub fn messages(&self) -> Vec<(PathBuf, Value)> {
        let mut found: Vec<(u64, PathBuf)> = std::fs::read_dir(self.mail_dir())
            .expect("read the mail directory")
            .filter_map(|e| {
                let path = e.ok()?.path();
                let n = path
                    .file_name()?
                    .to_str()?
                    .strip_suffix(".eml")?
                    .parse()
                    .ok()?;
                Some((n, path))
            })
            .collect();
        found.sort();
        found
            .into_iter()
            .map(|(_, eml)| {
                let envelope = std::fs::read_to_string(eml.with_extension("json"))
                    .expect("the envelope is written before the message");
                (eml, serde_json::from_str(&envelope).expect("envelope JSON"))
            })
            .collect()
    }

    /// Waits for the `n`th message (1-based) and returns it parsed ([`parse_mime`]).
    pub async fn wait_for(&self, n: usize, within: Duration) -> Value {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            if let Some((eml, _)) = self.messages().get(n - 1) {
                return parse_mime(eml);
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "message {n} did not arrive at the SMTP sink within {within:?}; its log:\n{}",
                self.peer.output()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// Python's email package's view of a saved message (see the script):
/// headers, defects and every MIME part.
pub fn parse_mime(eml: &Path) -> Value {
    let output = Command::new(python())
        .args([SCRIPT, "parse", &path_arg(eml)])
        .output()
        .expect("run the MIME parser");
    assert!(
        output.status.success(),
        "parse failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("the parser prints JSON")
}

/// The text of the first text/plain part of a parsed message.
pub fn plain_text(message: &Value) -> String {
    message["parts"]
        .as_array()
        .and_then(|parts| parts.iter().find(|p| p["content_type"] == "text/plain"))
        .and_then(|p| p["text"].as_str())
        .unwrap_or_default()
        .to_string()
}

/// The first run of `len` digits (spaces between groups allowed) in `text`.
pub fn digits_in(text: &str, len: usize) -> Option<String> {
    let chars: Vec<char> = text.chars().collect();
    for start in 0..chars.len() {
        let mut found = String::new();
        for c in &chars[start..] {
            if c.is_ascii_digit() {
                found.push(*c);
                if found.len() == len {
                    return Some(found);
                }
            } else if *c != ' ' || found.is_empty() {
                break;
            }
        }
    }
    None
}

fn path_arg(path: &Path) -> String {
    path.to_str().expect("a UTF-8 path").to_owned()
}

/// A throwaway self-signed certificate for localhost and 127.0.0.1, by openssl.
fn self_signed(dir: &Path) -> (String, String) {
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let status = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        ])
        .args([
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
        ])
        .args(["-keyout", &path_arg(&key), "-out", &path_arg(&cert)])
        .output()
        .expect("openssl is needed for the TLS tests");
    assert!(
        status.status.success(),
        "openssl: {}",
        String::from_utf8_lossy(&status.stderr)
    );
    (path_arg(&cert), path_arg(&key))
}
