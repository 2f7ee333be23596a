//! The real `countersign` server as a process, for the end-to-end tests:
//! found next to this test's binary (built with `cargo build -p
//! countersign-server` when needed, or named by `COUNTERSIGN_BIN`), run on
//! SQLite in a temporary data directory, stopped on drop.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use super::TempDir;

const READY_TIMEOUT: Duration = Duration::from_secs(60);

/// The `countersign` binary: `COUNTERSIGN_BIN`, else target/<profile>/countersign,
/// built first so that it matches the source.
pub fn server_binary() -> PathBuf {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(find_or_build).clone()
}

fn find_or_build() -> PathBuf {
    if let Some(path) = std::env::var_os("COUNTERSIGN_BIN") {
        return PathBuf::from(path);
    }
    let exe = std::env::current_exe().expect("the test's own path");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>/deps");
    let binary = profile_dir.join("countersign");
    let target_dir = profile_dir.parent().expect("the target directory");
    // The real workspace root, even when this crate is reached through a symlink.
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"))
        .canonicalize()
        .expect("manifest dir");
    let root = manifest
        .parent()
        .and_then(Path::parent)
        .expect("workspace root");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let built = Command::new(cargo)
        .args(["build", "-p", "countersign-server", "--bin", "countersign"])
        .env("CARGO_TARGET_DIR", target_dir)
        .current_dir(root)
        .status();
    let fresh = matches!(built, Ok(status) if status.success());
    assert!(
        fresh || binary.exists(),
        "no countersign binary at {}: run cargo build -p countersign-server (or set COUNTERSIGN_BIN)",
        binary.display()
    );
    binary
}

/// One server node; the process is stopped on drop.
pub struct Countersign {
    bin: PathBuf,
    data: TempDir,
    env: Vec<(String, String)>,
    child: Option<Child>,
    pub port: u16,
    pub scheme: &'static str,
}

impl Countersign {
    /// A node (not started) with these `COUNTERSIGN_*` settings.
    pub fn new(env: &[(&str, &str)]) -> Countersign {
        let tls = env.iter().any(|(k, _)| *k == "COUNTERSIGN_TLS_CERT");
        Countersign {
            bin: server_binary(),
            data: TempDir::new("server"),
            env: env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            child: None,
            port: 0,
            scheme: if tls { "https" } else { "http" },
        }
    }

    fn command(&self) -> Command {
        let mut command = Command::new(&self.bin);
        for (name, _) in std::env::vars() {
            if name.starts_with("COUNTERSIGN_") || name == "RUST_LOG" {
                command.env_remove(name);
            }
        }
        command.envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        command.arg("--data-dir").arg(&self.data.0);
        command
    }

    /// Runs the server's CLI on this node's store; expects success.
    pub fn cli(&self, args: &[&str]) -> String {
        let out: Output = self
            .command()
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("run countersign");
        assert!(
            out.status.success(),
            "countersign {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    /// Starts `serve` and waits for its banner (retrying on a taken port).
    pub fn start(&mut self) {
        for _ in 0..5 {
            if self.launch() {
                return;
            }
        }
        panic!(
            "countersign could not start on a free port:\n{}",
            self.log()
        );
    }

    fn log_path(&self) -> PathBuf {
        self.data.join("stderr.log")
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    fn launch(&mut self) -> bool {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let log = std::fs::File::create(self.log_path()).expect("log file");
        let child = self
            .command()
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start countersign serve");
        self.child = Some(child);
        self.port = port;
        let banner = format!("listening on {}://127.0.0.1:{port}", self.scheme);
        let deadline = Instant::now() + READY_TIMEOUT;
        while Instant::now() < deadline {
            if self.log().contains(&banner) {
                return true;
            }
            if let Some(Ok(Some(_))) = self.child.as_mut().map(|c| c.try_wait()) {
                self.child = None;
                if self.log().contains("cannot listen") {
                    return false;
                }
                panic!("countersign exited before it was ready:\n{}", self.log());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!(
            "countersign did not print {banner:?} within {READY_TIMEOUT:?}:\n{}",
            self.log()
        );
    }

    pub fn base(&self) -> String {
        format!("{}://127.0.0.1:{}", self.scheme, self.port)
    }
}

impl Drop for Countersign {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
