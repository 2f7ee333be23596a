//! A PostgreSQL server of the test's own: `initdb` in a temporary directory,
//! `pg_ctl` to start, stop and restart it on a free port of 127.0.0.1 (never
//! the machine's shared server, which other tests use). Stopped on drop.
//!
//! PostgreSQL refuses to run as root: when the test runs as root, the
//! directory is given to the `postgres` user and the tools run with runuser.

use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::Duration;

use crate::{free_port, wait_until, TempDir};

/// Debian's PostgreSQL 15 programs (the `postgresql` package).
const BIN_DIR: &str = "/usr/lib/postgresql/15/bin";

pub struct PgServer {
    dir: TempDir,
    port: u16,
    as_postgres: bool,
}

impl PgServer {
    /// A new cluster (trust authentication for `postgres` on 127.0.0.1),
    /// started on a free port, with a database `countersign`.
    pub fn start() -> PgServer {
        let tool = PathBuf::from(BIN_DIR).join("initdb");
        assert!(
            tool.exists(),
            "{} is missing: install Debian's postgresql package (scripts/test checks for it)",
            tool.display()
        );
        let dir = TempDir::new("pg-server");
        let as_postgres = running_as_root();
        if as_postgres {
            run(Command::new("chown").args(["postgres:", path_text(&dir)]));
        }
        let server = PgServer {
            dir,
            port: free_port(),
            as_postgres,
        };
        let data = server.data();
        server.tool(
            "initdb",
            &[
                "-D",
                &data,
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
            ],
        );
        server.start_again();
        server.tool(
            "createdb",
            &[
                "-h",
                "127.0.0.1",
                "-p",
                &server.port.to_string(),
                "-U",
                "postgres",
                "countersign",
            ],
        );
        server
    }

    /// `postgres://postgres@127.0.0.1:PORT/countersign`.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/countersign", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Starts the stopped server on the same port and waits until it accepts connections.
    pub fn start_again(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100",
            self.port,
            path_text(&self.dir)
        );
        let log = self.dir.join("postgres.log");
        self.tool(
            "pg_ctl",
            &[
                "-D",
                &self.data(),
                "-l",
                log.to_str().expect("a UTF-8 temp path"),
                "-o",
                &options,
                "-w",
                "-t",
                "60",
                "start",
            ],
        );
        let port = self.port.to_string();
        let ready = wait_until(Duration::from_secs(30), || {
            self.try_tool("pg_isready", &["-h", "127.0.0.1", "-p", &port])
                .status
                .success()
        });
        assert!(
            ready,
            "PostgreSQL did not accept connections:\n{}",
            self.log()
        );
    }

    /// A clean, fast shutdown (`pg_ctl stop -m fast`): open sessions are ended.
    pub fn stop(&self) {
        self.tool("pg_ctl", &["-D", &self.data(), "-m", "fast", "-w", "stop"]);
    }

    /// The server's own log.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("postgres.log")).unwrap_or_default()
    }

    fn data(&self) -> String {
        self.dir
            .join("data")
            .to_str()
            .expect("a UTF-8 temp path")
            .to_string()
    }

    fn try_tool(&self, name: &str, args: &[&str]) -> Output {
        let program = PathBuf::from(BIN_DIR).join(name);
        let mut command = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&program);
            c
        } else {
            Command::new(&program)
        };
        command
            .args(args)
            .current_dir(self.dir.path())
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()))
    }

    fn tool(&self, name: &str, args: &[&str]) {
        let output = self.try_tool(name, args);
        assert!(
            output.status.success(),
            "{name} {args:?} failed ({}):\n{}{}\nserver log:\n{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr),
            self.log()
        );
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        let _ = self.try_tool(
            "pg_ctl",
            &["-D", &self.data(), "-m", "immediate", "-w", "stop"],
        );
    }
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn path_text(dir: &TempDir) -> &str {
    dir.path().to_str().expect("a UTF-8 temp path")
}

fn run(command: &mut Command) {
    let status = command
        .status()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
    assert!(status.success(), "{command:?} failed ({status})");
}
