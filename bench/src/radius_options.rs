//! The command line of `radius-load`.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{bail, Result};
use clap::Parser;

/// Sends OTP Access-Requests to a Countersign RADIUS listener on this
/// machine and prints throughput and latency. The server must know
/// 127.0.0.1 as an otp-flow client with --secret:
/// `countersign radius client add --name bench --address 127.0.0.1 --secret-file F`.
#[derive(Debug, Clone, Parser)]
#[command(name = "radius-load", version)]
pub(crate) struct Options {
    /// The RADIUS listener (COUNTERSIGN_RADIUS_LISTEN); loopback only.
    #[arg(long, default_value = "127.0.0.1:1812")]
    pub(crate) radius: SocketAddr,
    /// The shared secret of the client 127.0.0.1.
    #[arg(long, env = "COUNTERSIGN_BENCH_RADIUS_SECRET", hide_env_values = true)]
    pub(crate) secret: String,
    /// Base URL of the HTTP API, to create the users (--setup) or read their counters.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub(crate) url: String,
    /// API key with the admin scope.
    #[arg(long, env = "COUNTERSIGN_API_KEY", hide_env_values = true)]
    pub(crate) api_key: String,
    /// Number of bench users (each with an HOTP token); workers own disjoint shares.
    #[arg(long, default_value_t = 1000)]
    pub(crate) users: usize,
    /// Requests in flight at once: one per worker, each with its own UDP socket.
    #[arg(long, default_value_t = 32)]
    pub(crate) concurrency: usize,
    /// Stop after this many seconds [default: 10 unless --requests is given].
    #[arg(long)]
    pub(crate) duration: Option<f64>,
    /// Stop after this many requests.
    #[arg(long)]
    pub(crate) requests: Option<u64>,
    /// Share of requests sent with a wrong code, 0.0 to 1.0 (never more than
    /// --max-invalid-streak in a row per user, so nobody locks out).
    #[arg(long, default_value_t = 0.1)]
    pub(crate) invalid_ratio: f64,
    #[arg(long, default_value_t = 5)]
    pub(crate) max_invalid_streak: u32,
    /// Fixed offered load in requests per second (open loop; latency counts
    /// from each request's due time). Without it: closed loop.
    #[arg(long)]
    pub(crate) rate: Option<f64>,
    /// Create the users and their tokens through the admin API first.
    #[arg(long)]
    pub(crate) setup: bool,
    /// Users are bench-<run id>-<i>; without --setup, reuses an earlier run's users.
    #[arg(long)]
    pub(crate) run_id: Option<String>,
    /// Threads of the load generator's runtime.
    #[arg(long, default_value_t = 1)]
    pub(crate) threads: usize,
    /// Seconds to wait for an answer before counting a timeout (no retransmission).
    #[arg(long, default_value_t = 2.0)]
    pub(crate) timeout: f64,
    #[arg(long, default_value_t = 8)]
    pub(crate) setup_concurrency: usize,
    /// Process id of the server, to report the CPU time it used (Linux).
    #[arg(long)]
    pub(crate) server_pid: Option<u32>,
    /// Print the result as JSON.
    #[arg(long)]
    pub(crate) json: bool,
    #[arg(long)]
    pub(crate) json_file: Option<PathBuf>,
}

impl Options {
    pub(crate) fn validate(&self) -> Result<()> {
        let problems: Vec<&str> = [
            (
                !self.radius.ip().is_loopback(),
                "--radius must be a loopback address: the load generator never targets other hosts",
            ),
            (self.secret.is_empty(), "--secret may not be empty"),
            (
                self.users == 0 || self.users > 1_000_000,
                "--users must be 1 to 1000000",
            ),
            (
                self.concurrency == 0 || self.concurrency > 4096,
                "--concurrency must be 1 to 4096",
            ),
            (
                self.concurrency > self.users,
                "--concurrency may not exceed --users: each worker needs users of its own",
            ),
            (
                self.duration.is_some_and(|d| !(d > 0.0 && d <= 3600.0)),
                "--duration must be above 0 and at most 3600",
            ),
            (self.requests == Some(0), "--requests must be at least 1"),
            (
                !(0.0..=1.0).contains(&self.invalid_ratio),
                "--invalid-ratio must be 0.0 to 1.0",
            ),
            (
                self.rate.is_some_and(|r| !(r > 0.0 && r <= 1e6)),
                "--rate must be above 0 and at most 1000000",
            ),
            (
                self.threads == 0 || self.threads > 64,
                "--threads must be 1 to 64",
            ),
            (
                !(self.timeout > 0.0 && self.timeout <= 60.0),
                "--timeout must be above 0 and at most 60",
            ),
            (
                self.setup_concurrency == 0 || self.setup_concurrency > 256,
                "--setup-concurrency must be 1 to 256",
            ),
            (
                !self.setup && self.run_id.is_none(),
                "give --setup to create users, or --run-id of an earlier --setup run",
            ),
        ]
        .into_iter()
        .filter_map(|(bad, problem)| bad.then_some(problem))
        .collect();
        if !problems.is_empty() {
            bail!("invalid options:\n  {}", problems.join("\n  "));
        }
        Ok(())
    }
}
