//! A `countersign` node run as a process: its data directory, environment,
//! `serve` process (stopped on drop) and CLI.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

use countersign_testkit::TempDir;
use serde_json::Value;

use super::{Api, Db, BIN};

const READY_TIMEOUT: Duration = Duration::from_secs(30);
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// One `countersign` node: a data directory, its environment and, while
/// started, the `serve` process. The process is stopped on drop.
pub struct Server {
    data: TempDir,
    logs: TempDir,
    env: Vec<(String, String)>,
    child: Option<Child>,
    port: u16,
    http: reqwest::Client,
}

impl Server {
    /// A node on `db` that is not started yet: its CLI already works.
    pub fn new(db: &Db) -> Server {
        Self::with_env(db, &[])
    }

    /// Like [`Server::new`], with extra `COUNTERSIGN_*` settings.
    pub fn with_env(db: &Db, extra: &[(&str, &str)]) -> Server {
        let mut env = db.env();
        env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("an HTTP client");
        Server {
            data: TempDir::new("server-data"),
            logs: TempDir::new("server-logs"),
            env,
            child: None,
            port: 0,
            http,
        }
    }

    /// Starts a node on `db` and waits until it answers `/healthz`.
    pub async fn start(db: &Db) -> Server {
        Self::start_with(db, &[]).await
    }

    pub async fn start_with(db: &Db, extra: &[(&str, &str)]) -> Server {
        let mut server = Self::with_env(db, extra);
        server.spawn().await;
        server
    }

    /// Starts `countersign serve` on a free port and waits until it is ready.
    pub async fn spawn(&mut self) {
        self.launch();
        self.wait_started().await;
    }

    /// Starts `count` nodes on `db` at the same moment, as a cluster coming
    /// up does, and waits until every one is ready.
    pub async fn start_together(db: &Db, count: usize, extra: &[(&str, &str)]) -> Vec<Server> {
        let mut servers: Vec<Server> = (0..count).map(|_| Self::with_env(db, extra)).collect();
        for server in &mut servers {
            server.launch();
        }
        for server in &mut servers {
            server.wait_started().await;
        }
        servers
    }

    /// Spawns the serve process on a port that was free a moment ago.
    fn launch(&mut self) {
        assert!(self.child.is_none(), "the server is already running");
        let port = free_port();
        let stderr = std::fs::File::create(self.log_path()).expect("create the server log file");
        let child = self
            .command()
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {BIN}: {e}"));
        self.child = Some(child);
        self.port = port;
    }

    /// Waits for the launched process, launching it again on another port
    /// when another program took its port between choosing and binding it.
    async fn wait_started(&mut self) {
        for _retry in 0..5 {
            if self.wait_ready().await {
                return;
            }
            self.child = None;
            self.launch();
        }
        panic!(
            "the server could not bind a free port in 5 attempts; its log:\n{}",
            self.stderr()
        );
    }

    /// true when ready; false when it could not bind its port (retry).
    async fn wait_ready(&mut self) -> bool {
        let deadline = Instant::now() + READY_TIMEOUT;
        let banner = format!("listening on http://127.0.0.1:{}", self.port);
        loop {
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                let log = self.stderr();
                if log.contains("cannot listen") {
                    return false;
                }
                panic!("the server exited ({status}) before it was ready; its stderr:\n{log}");
            }
            // The banner proves that this process, not another, holds the port.
            if self.stderr().contains(&banner) {
                if let Ok(reply) = self.http.get(self.url("/healthz")).send().await {
                    if reply.status() == 200 {
                        return true;
                    }
                }
            }
            if Instant::now() > deadline {
                self.kill();
                panic!(
                    "the server did not answer GET /healthz with 200 within {READY_TIMEOUT:?}; its stderr:\n{}",
                    self.stderr()
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The binary with this node's data directory and environment, and
    /// nothing inherited that could change its configuration.
    pub fn command(&self) -> Command {
        let mut command = Command::new(BIN);
        for (name, _) in std::env::vars() {
            if name.starts_with("COUNTERSIGN_") || name == "RUST_LOG" {
                command.env_remove(name);
            }
        }
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
            .unwrap_or_else(|e| panic!("cannot run {BIN} {args:?}: {e}"))
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

    /// Everything the server wrote to standard error so far.
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base())
    }

    /// A client calling with this API key.
    pub fn api(&self, key: &str) -> Api {
        Api::new(self.http.clone(), self.base(), Some(key.to_string()))
    }

    /// A client sending no Authorization header.
    pub fn anonymous(&self) -> Api {
        Api::new(self.http.clone(), self.base(), None)
    }

    /// Whether the serve process is still running.
    pub fn is_running(&mut self) -> bool {
        match self.child.as_mut() {
            Some(child) => matches!(child.try_wait(), Ok(None)),
            None => false,
        }
    }

    /// SIGTERM, then waits for the graceful exit (SIGKILL after a timeout).
    pub fn stop(&mut self) -> ExitStatus {
        let mut child = self.child.take().expect("the server is not running");
        terminate(&mut child)
    }

    /// SIGKILL: the process dies at once, mid-request, as in a crash.
    pub fn crash(&mut self) {
        self.kill();
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            terminate(&mut child);
        }
    }
}

extern "C" {
    fn kill(pid: i32, signal: i32) -> i32;
}

const SIGTERM: i32 = 15;

fn terminate(child: &mut Child) -> ExitStatus {
    if let Ok(Some(status)) = child.try_wait() {
        return status;
    }
    let pid = i32::try_from(child.id()).expect("a pid fits in i32");
    // SAFETY: signals our own child, which has not been reaped yet.
    unsafe {
        kill(pid, SIGTERM);
    }
    let deadline = Instant::now() + STOP_TIMEOUT;
    while Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            return status;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let _ = child.kill();
    child.wait().expect("wait for the killed server")
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("local address").port()
}
