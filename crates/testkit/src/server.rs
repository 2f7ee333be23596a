//! The real `countersign` binary run by the tests: a node with its own data
//! directory and settings, its CLI, and its `serve` process ([`Serving`]),
//! stopped on drop.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Output, Stdio};
use std::sync::OnceLock;

use serde_json::Value;

use crate::serving::{Serving, Startup, READY_TIMEOUT};
use crate::{free_port, TempDir};

/// The `countersign` binary for tests outside the server crate:
/// `COUNTERSIGN_BIN`, else target/<profile>/countersign next to the test,
/// built first so that it matches the source. (The server's own tests
/// use `CARGO_BIN_EXE_countersign`.)
pub fn countersign_binary() -> PathBuf {
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

/// One `countersign` node: a data directory, its settings and, while
/// started, the `serve` process on 127.0.0.1. Stopped on drop.
pub struct Countersign {
    bin: PathBuf,
    data: TempDir,
    logs: TempDir,
    env: Vec<(String, String)>,
    serving: Option<Serving>,
    port: u16,
    /// `https` when the settings name a certificate, else `http`.
    pub scheme: &'static str,
}

/// The `[limits]` rate limits a test node runs without (0: no limit).
const UNLIMITED: &[&str] = &[
    "COUNTERSIGN_LIMITS_SIGNIN_PER_ADDRESS",
    "COUNTERSIGN_LIMITS_SIGNIN_GLOBAL",
    "COUNTERSIGN_LIMITS_LINKS_PER_ADDRESS",
    "COUNTERSIGN_LIMITS_LINKS_GLOBAL",
    "COUNTERSIGN_LIMITS_ACTIVATION_PER_ADDRESS",
    "COUNTERSIGN_LIMITS_ACTIVATION_GLOBAL",
    "COUNTERSIGN_LIMITS_VERIFY_PER_KEY",
    "COUNTERSIGN_LIMITS_CONTACT_PER_ADDRESS",
    "COUNTERSIGN_LIMITS_CONTACT_GLOBAL",
];

impl Countersign {
    /// A node (not started) of [`countersign_binary`] with these `COUNTERSIGN_*` settings.
    pub fn new(env: &[(&str, &str)]) -> Countersign {
        let env = env.iter().map(|(k, v)| (k.to_string(), v.to_string()));
        Self::with_binary(countersign_binary(), env.collect())
    }

    /// A node (not started) of the binary `bin`.
    pub fn with_binary(bin: impl Into<PathBuf>, mut env: Vec<(String, String)>) -> Countersign {
        // Most tests read the reason from a door's words, so they run with
        // the reasons told; the tests of the generic words (the shipped
        // default) set this to true.
        const GENERIC: &str = "COUNTERSIGN_VERIFY_GENERIC_REFUSALS";
        if !env.iter().any(|(k, _)| k == GENERIC) {
            env.push((GENERIC.into(), "false".into()));
        }
        let tls = env.iter().any(|(k, _)| k == "COUNTERSIGN_TLS_CERT");
        Countersign {
            bin: bin.into(),
            data: TempDir::new("server-data"),
            logs: TempDir::new("server-logs"),
            env,
            serving: None,
            port: 0,
            scheme: if tls { "https" } else { "http" },
        }
    }

    /// The binary with this node's data directory and settings, and
    /// nothing inherited that could change its configuration.
    pub fn command(&self) -> Command {
        let mut command = Command::new(&self.bin);
        for (name, _) in std::env::vars() {
            if name.starts_with("COUNTERSIGN_") || name == "RUST_LOG" {
                command.env_remove(name);
            }
        }
        // Tests sign in, activate and verify from one address far more often
        // than a person does: the rate limits are off unless a test sets them
        // (by environment: it overrides these, and a file would not).
        command.envs(UNLIMITED.iter().map(|k| (*k, "0")));
        command.envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        command.arg("--data-dir").arg(self.data.path());
        command.current_dir(self.logs.path());
        command
    }

    /// Runs the CLI on this node's store (the server need not run).
    pub fn cli(&self, args: &[&str]) -> Output {
        self.command()
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot run {} {args:?}: {e}", self.bin.display()))
    }

    /// Runs the CLI, expects success, and returns its standard output.
    pub fn cli_ok(&self, args: &[&str]) -> String {
        let output = self.cli(args);
        assert!(
            output.status.success(),
            "countersign {} failed ({}):\nstdout: {}\nstderr: {}",
            args.join(" "),
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).expect("the CLI prints UTF-8")
    }

    /// Runs the CLI with `--json` and parses its output.
    pub fn cli_json(&self, args: &[&str]) -> Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let text = self.cli_ok(&all);
        serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("countersign {all:?} printed no JSON ({e}):\n{text}"))
    }

    /// Makes an API key with the CLI; returns the key text it printed.
    pub fn create_key(&self, name: &str, scope: &str) -> String {
        let out = self.cli_ok(&["apikey", "create", "--name", name, "--scope", scope]);
        let key = out.trim().to_string();
        assert!(
            key.starts_with("cs_") && !key.contains(char::is_whitespace),
            "apikey create must print only the key, printed:\n{out}"
        );
        key
    }

    pub fn data_dir(&self) -> &Path {
        self.data.path()
    }

    fn log_path(&self) -> PathBuf {
        self.logs.path().join("stderr.log")
    }

    /// Everything the last `serve` wrote to standard error so far.
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    /// Spawns `serve` on a port of 127.0.0.1 that was free a moment ago,
    /// without waiting ([`Countersign::startup`] tells how it goes).
    pub fn launch(&mut self) {
        self.launch_on(free_port());
    }

    /// Spawns `serve` on `port` without waiting: after a crash, the node
    /// comes back where its load balancer expects it.
    pub fn launch_on(&mut self, port: u16) {
        assert!(self.serving.is_none(), "the server is already running");
        self.port = port;
        let serving = Serving::launch(
            self.command(),
            self.log_path(),
            "127.0.0.1",
            self.port,
            self.scheme,
        );
        self.serving = Some(serving);
    }

    /// Where the launched `serve` is; after [`Startup::PortTaken`] the node
    /// is stopped and can be launched again.
    pub fn startup(&mut self) -> Startup {
        let serving = self.serving.as_mut().expect("the server was launched");
        let startup = serving.startup();
        if startup == Startup::PortTaken {
            self.serving = None;
        }
        startup
    }

    /// Starts `serve` and waits for its banner (retrying on a taken port).
    pub fn start(&mut self) {
        for _attempt in 0..5 {
            self.launch();
            let serving = self.serving.as_mut().expect("launched");
            if serving.wait_listening(READY_TIMEOUT) {
                return;
            }
            self.serving = None;
        }
        panic!(
            "countersign could not bind a free port in 5 attempts; its log:\n{}",
            self.stderr()
        );
    }

    /// The port `serve` was last launched on.
    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn base(&self) -> String {
        format!("{}://127.0.0.1:{}", self.scheme, self.port())
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base())
    }

    /// Whether the serve process is still running.
    pub fn is_running(&mut self) -> bool {
        self.serving.as_mut().is_some_and(Serving::is_running)
    }

    /// SIGTERM, then waits for the graceful exit (SIGKILL after a timeout).
    pub fn stop(&mut self) -> ExitStatus {
        let mut serving = self.serving.take().expect("the server is not running");
        serving.stop()
    }

    /// SIGKILL: the process dies at once, mid-request, as in a crash.
    pub fn crash(&mut self) {
        if let Some(mut serving) = self.serving.take() {
            serving.kill();
        }
    }
}
