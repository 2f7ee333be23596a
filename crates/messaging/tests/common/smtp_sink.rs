//! An SMTP sink: `peers/smtp_sink.py` on aiosmtpd, saving every message.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use super::{free_port, python, wait_until, Peer, TempDir};

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/peers/smtp_sink.py");

/// How the sink protects the connection.
pub enum SinkTls {
    None,
    StartTls,
    Implicit,
}

pub struct SmtpSink {
    pub port: u16,
    pub dir: TempDir,
    peer: Peer,
}

impl SmtpSink {
    pub async fn start() -> SmtpSink {
        Self::start_with(None, SinkTls::None).await
    }

    /// `login`: (user, password) required by AUTH. TLS uses a throwaway
    /// self-signed certificate for 127.0.0.1, which clients do not trust.
    pub async fn start_with(login: Option<(&str, &str)>, tls: SinkTls) -> SmtpSink {
        let dir = TempDir::new("smtp-sink");
        let out = dir.path().join("mail");
        std::fs::create_dir(&out).unwrap();
        let port = free_port();
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
        let ready = wait_until(Duration::from_secs(15), || async {
            peer.output().lines().any(|l| l == "ready")
        })
        .await;
        peer.assert_running();
        assert!(ready, "the SMTP sink did not start:\n{}", peer.output());
        SmtpSink { port, dir, peer }
    }

    fn mail_dir(&self) -> PathBuf {
        self.dir.path().join("mail")
    }

    /// The saved messages, oldest first: (raw file, envelope JSON).
    pub fn messages(&self) -> Vec<(PathBuf, Value)> {
        let mut found: Vec<(u64, PathBuf)> = std::fs::read_dir(self.mail_dir())
            .unwrap()
            .filter_map(|e| {
                let path = e.unwrap().path();
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
                let envelope = std::fs::read_to_string(eml.with_extension("json")).unwrap();
                (eml, serde_json::from_str(&envelope).unwrap())
            })
            .collect()
    }
}

/// Python's email package's view of a saved message (see the script).
pub fn parse_mime(eml: &Path) -> Value {
    let output = Command::new(python())
        .args([SCRIPT, "parse", &path_arg(eml)])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "parse failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

fn path_arg(path: &Path) -> String {
    path.to_str().unwrap().to_owned()
}

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
