//! Real peers for the messaging tests: an SMTP sink (aiosmtpd), Kannel
//! (bearerbox, smsbox, fakesmsc) and a tiny HTTP endpoint, each on free
//! loopback ports in its own temp dir, stopped when dropped.
//!
//! Each test file uses part of it, so unused items are expected.
#![allow(dead_code)]

pub mod http_endpoint;
pub mod kannel;
pub mod smtp_sink;

use std::future::Future;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub use countersign_testkit::TempDir;

/// A port nothing listens on right now (small race: use it soon).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The Python with aiosmtpd that `scripts/test` prepares.
pub fn python() -> PathBuf {
    let path = std::env::var_os("COUNTERSIGN_TEST_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let home = std::env::var_os("HOME").unwrap_or_default();
            Path::new(&home).join(".cache/countersign/venv/bin/python")
        });
    assert!(
        path.exists(),
        "no Python with aiosmtpd at {}: run scripts/test (it creates the venv) or set \
         COUNTERSIGN_TEST_PYTHON",
        path.display()
    );
    path
}

/// A peer process in its own process group, killed (with its children) on drop.
pub struct Peer {
    child: Child,
    pub log: PathBuf,
    name: String,
}

impl Peer {
    pub fn spawn(name: &str, log: PathBuf, program: &Path, args: &[&str]) -> Peer {
        assert!(
            program.exists(),
            "{} is missing: run scripts/test (it installs the peers)",
            program.display()
        );
        let out = std::fs::File::create(&log).unwrap();
        let child = Command::new(program)
            .args(args)
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", program.display()));
        Peer {
            child,
            log,
            name: name.to_owned(),
        }
    }

    pub fn output(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The exit status, if it has exited.
    pub fn child_status(&mut self) -> std::io::Result<Option<std::process::ExitStatus>> {
        self.child.try_wait()
    }

    /// Panics with the peer's output if it has exited.
    pub fn assert_running(&mut self) {
        if let Ok(Some(status)) = self.child.try_wait() {
            panic!(
                "{} exited ({status}); its output:\n{}",
                self.name,
                self.output()
            );
        }
    }

    /// Stops it now (SIGTERM, then SIGKILL after 5 s).
    pub fn stop(&mut self) {
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-TERM", "--", &group]).status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.child.wait();
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Polls `probe` every 100 ms until it returns true; false after `timeout`.
pub async fn wait_until<F, Fut>(timeout: Duration, mut probe: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let end = Instant::now() + timeout;
    while Instant::now() < end {
        if probe().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}
