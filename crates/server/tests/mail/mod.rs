//! A real SMTP sink (Python aiosmtpd, installed by scripts/test) that
//! writes every message to a directory, and Python's email parser.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use countersign_testkit::TempDir;
use serde_json::Value;

const SCRIPT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../messaging/tests/peers/smtp_sink.py"
);

/// The Python with aiosmtpd: scripts/test's venv (COUNTERSIGN_TEST_PYTHON), else the usual venv path.
pub fn python() -> String {
    if let Ok(python) = std::env::var("COUNTERSIGN_TEST_PYTHON") {
        return python;
    }
    let venv = std::env::var("HOME")
        .map(|h| format!("{h}/.cache/countersign/venv/bin/python"))
        .unwrap_or_default();
    if std::path::Path::new(&venv).exists() {
        venv
    } else {
        "python3".into()
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

pub struct Sink {
    child: Child,
    dir: TempDir,
    pub port: u16,
}

impl Sink {
    pub async fn start(port: u16) -> Sink {
        let dir = TempDir::new("smtp-sink");
        let child = Command::new(python())
            .args([SCRIPT, "serve", &port.to_string(), &dir.path().display().to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start the SMTP sink (aiosmtpd; scripts/test installs it and sets COUNTERSIGN_TEST_PYTHON): {e}"));
        let sink = Sink { child, dir, port };
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return sink;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "the SMTP sink did not listen on {port} within 10 s (is aiosmtpd installed for {}?)",
            python()
        );
    }

    /// Saved messages, oldest first.
    pub fn messages(&self) -> Vec<PathBuf> {
        let mut files: Vec<(u64, PathBuf)> = std::fs::read_dir(self.dir.path())
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|x| x == "eml"))
                    .filter_map(|p| Some((p.file_stem()?.to_str()?.parse().ok()?, p)))
                    .collect()
            })
            .unwrap_or_default();
        files.sort();
        files.into_iter().map(|(_, p)| p).collect()
    }

    /// Waits for the `n`th message (1-based) and returns it parsed.
    pub async fn wait_for(&self, n: usize, within: Duration) -> Value {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            if let Some(path) = self.messages().get(n - 1) {
                return parse(path);
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "message {n} did not arrive at the SMTP sink within {within:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The message as Python's email package reads it (headers, defects, parts).
pub fn parse(path: &std::path::Path) -> Value {
    let output = Command::new(python())
        .args([SCRIPT, "parse", &path.display().to_string()])
        .output()
        .expect("run the parser");
    assert!(
        output.status.success(),
        "parse failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("parser JSON")
}

/// The text of the first text/plain part.
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
