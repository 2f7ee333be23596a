//! Peer programs the tests run (Kannel, FreeRADIUS, the Python sinks): a
//! child in its own process group, its output in a log file, stopped with
//! its children on drop; and the Python that scripts/test prepares.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// The Python with the test packages (aiosmtpd, http_ece, yubiotp, ...):
/// `COUNTERSIGN_TEST_PYTHON` (set by scripts/test), else its venv at
/// `~/.cache/countersign/venv`, else `python3`.
pub fn python() -> PathBuf {
    if let Some(python) = std::env::var_os("COUNTERSIGN_TEST_PYTHON") {
        return PathBuf::from(python);
    }
    let home = std::env::var_os("HOME").unwrap_or_default();
    let venv = Path::new(&home).join(".cache/countersign/venv/bin/python");
    if venv.exists() {
        venv
    } else {
        PathBuf::from("python3")
    }
}

/// A peer process in its own process group, killed (with its children) on drop.
pub struct Peer {
    child: Child,
    pub log: PathBuf,
    name: String,
}

impl Peer {
    /// Runs `program args`, its standard output and error both into `log`.
    pub fn spawn(name: &str, log: PathBuf, program: &Path, args: &[&str]) -> Peer {
        let mut command = Command::new(program);
        command.args(args);
        Self::spawn_command(name, log, command)
    }

    /// Runs `command` (its program must exist), its output into `log`.
    pub fn spawn_command(name: &str, log: PathBuf, mut command: Command) -> Peer {
        let program = PathBuf::from(command.get_program());
        assert!(
            !program.is_absolute() || program.exists(),
            "{} is missing: run scripts/test (it installs the peers)",
            program.display()
        );
        let out = std::fs::File::create(&log)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", log.display()));
        let err = out.try_clone().expect("a second handle on the log");
        let child = command
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", program.display()));
        Peer {
            child,
            log,
            name: name.to_owned(),
        }
    }

    /// Everything it printed so far.
    pub fn output(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The exit status, if it has exited.
    pub fn child_status(&mut self) -> std::io::Result<Option<ExitStatus>> {
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

    /// Stops it now: SIGTERM to its process group, SIGKILL after 5 s.
    pub fn stop(&mut self) {
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-TERM", "--", &group]).status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
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
