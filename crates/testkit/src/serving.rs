//! `countersign serve` as a process: launched on a port, its standard
//! error in a log file, ready when its banner `listening on SCHEME://HOST:PORT`
//! shows, stopped (SIGTERM, then SIGKILL) on drop.

use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use crate::{free_port, TempDir};

/// How long a start may take before the test fails (a loaded 2-core machine).
pub const READY_TIMEOUT: Duration = Duration::from_secs(60);
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// Where a launched `serve` is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Startup {
    /// No banner yet.
    Starting,
    /// The banner shows: this process, not another, holds the port.
    Listening,
    /// It exited because another program took the port first (launch again).
    PortTaken,
}

/// One `serve` process.
pub struct Serving {
    child: Child,
    log: PathBuf,
    _logs: Option<TempDir>,
    banner: String,
    pub port: u16,
}

impl Serving {
    /// Runs `make(port)` (a `countersign` command, with settings that may
    /// name the port) with `serve --listen HOST:PORT` on a free port and
    /// waits for the banner. Retries when another program takes the port first.
    pub fn start(make: impl Fn(u16) -> Command, host: &str, scheme: &str) -> Serving {
        for _attempt in 0..5 {
            let port = free_port();
            let logs = TempDir::new("serve-log");
            let log = logs.path().join("stderr.log");
            let mut serving = Serving::launch(make(port), log, host, port, scheme);
            serving._logs = Some(logs);
            if serving.wait_listening(READY_TIMEOUT) {
                return serving;
            }
        }
        panic!("countersign serve could not bind a free port in 5 attempts");
    }

    /// Spawns `command serve --listen HOST:PORT`, its standard error into
    /// `log` (truncated), and returns at once.
    pub fn launch(
        mut command: Command,
        log: PathBuf,
        host: &str,
        port: u16,
        scheme: &str,
    ) -> Serving {
        let file = std::fs::File::create(&log)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", log.display()));
        let child = command
            .args(["serve", "--listen", &format!("{host}:{port}")])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(file)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {:?} serve: {e}", command.get_program()));
        Serving {
            child,
            log,
            _logs: None,
            banner: format!("listening on {scheme}://{host}:{port}"),
            port,
        }
    }

    /// Where the start is; panics with the log when the process exited for
    /// another reason than a taken port.
    pub fn startup(&mut self) -> Startup {
        if self.stderr().contains(&self.banner) {
            return Startup::Listening;
        }
        match self.child.try_wait() {
            Ok(Some(_)) if self.stderr().contains("cannot listen") => Startup::PortTaken,
            Ok(Some(status)) => panic!(
                "countersign serve exited ({status}) before '{}'; its stderr:\n{}",
                self.banner,
                self.stderr()
            ),
            _ => Startup::Starting,
        }
    }

    /// Waits for the banner: true when it shows, false when the port was
    /// taken (launch again); panics after `timeout`.
    pub fn wait_listening(&mut self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            match self.startup() {
                Startup::Listening => return true,
                Startup::PortTaken => return false,
                Startup::Starting => {}
            }
            if Instant::now() > deadline {
                self.kill();
                panic!(
                    "countersign serve did not print '{}' within {timeout:?}; its stderr:\n{}",
                    self.banner,
                    self.stderr()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Everything the process wrote to standard error so far.
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Sends `signal` (e.g. "HUP") to the process with kill(1).
    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.pid().to_string())
            .status()
            .expect("run kill(1)");
        assert!(status.success(), "kill -{signal} {} failed", self.pid());
    }

    /// SIGTERM, then waits for the graceful exit (SIGKILL after 10 s).
    pub fn stop(&mut self) -> ExitStatus {
        if let Ok(Some(status)) = self.child.try_wait() {
            return status;
        }
        let _ = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status();
        let deadline = Instant::now() + STOP_TIMEOUT;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        self.kill()
    }

    /// SIGKILL: the process dies at once, mid-request, as in a crash.
    pub fn kill(&mut self) -> ExitStatus {
        let _ = self.child.kill();
        self.child.wait().expect("wait for the killed server")
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        self.stop();
    }
}
