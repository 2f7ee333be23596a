//! Command-line options of `verify-load` and their limits.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Result};
use clap::Parser;

/// The longest run and the most requests one invocation may make.
const MAX_DURATION_SECONDS: f64 = 3600.0;
const MAX_REQUESTS: u64 = 100_000_000;
const MAX_USERS: usize = 1_000_000;
const MAX_CONCURRENCY: usize = 4096;
const MAX_RATE: f64 = 1_000_000.0;
/// Used when neither --duration nor --requests is given.
const DEFAULT_DURATION_SECONDS: f64 = 10.0;

/// Drives `POST /api/v1/verify` of a Countersign server on this machine with
/// valid and wrong HOTP codes and prints throughput and latency.
#[derive(Debug, Clone, Parser)]
#[command(name = "verify-load", version)]
pub struct Options {
    /// Base URL of the server; only loopback addresses are allowed.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// API key with the verify scope (and admin for --setup or reusing users).
    #[arg(long, env = "COUNTERSIGN_API_KEY", hide_env_values = true)]
    pub api_key: String,
    /// Number of bench users; each worker owns a disjoint share of them.
    #[arg(long, default_value_t = 1000)]
    pub users: usize,
    /// Requests in flight at once (one per worker, one connection each).
    #[arg(long, default_value_t = 64)]
    pub concurrency: usize,
    /// Stop after this many seconds [default: 10 unless --requests is given].
    #[arg(long)]
    pub duration: Option<f64>,
    /// Stop after this many requests (whichever of --duration and --requests comes first).
    #[arg(long)]
    pub requests: Option<u64>,
    /// Share of requests sent with a wrong code, 0.0 to 1.0.
    #[arg(long, default_value_t = 0.0)]
    pub invalid_ratio: f64,
    /// Fixed offered load in requests per second (open loop); latency is
    /// measured from each request's scheduled time. Without it: closed loop, as fast as possible.
    #[arg(long)]
    pub rate: Option<f64>,
    /// Create the users and their HOTP tokens through the admin API first.
    #[arg(long)]
    pub setup: bool,
    /// Names the users bench-<run id>-<i>; without --setup, reuses the users of an earlier run.
    #[arg(long)]
    pub run_id: Option<String>,
    /// Most wrong codes in a row sent for one user before a valid one (the
    /// server locks a user out after 10 consecutive failures by default).
    #[arg(long, default_value_t = 5)]
    pub max_invalid_streak: u32,
    /// Threads of the load generator's runtime.
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
    /// Per-request timeout in seconds.
    #[arg(long, default_value_t = 10.0)]
    pub timeout: f64,
    /// Requests in flight while creating users with --setup.
    #[arg(long, default_value_t = 8)]
    pub setup_concurrency: usize,
    /// Process id of the server, to report the CPU time it used during the run (Linux).
    #[arg(long)]
    pub server_pid: Option<u32>,
    /// Print the result as JSON on standard output.
    #[arg(long)]
    pub json: bool,
    /// Also write the JSON result to this file.
    #[arg(long)]
    pub json_file: Option<PathBuf>,
}

impl Options {
    /// Checks every limit and reports all problems at once.
    pub fn validate(&self) -> Result<()> {
        let problems: Vec<String> = self.problems().into_iter().flatten().collect();
        if !problems.is_empty() {
            bail!("invalid options:\n  {}", problems.join("\n  "));
        }
        Ok(())
    }

    fn problems(&self) -> Vec<Option<String>> {
        vec![
            (self.users == 0 || self.users > MAX_USERS).then(|| format!("--users must be 1 to {MAX_USERS}")),
            (self.concurrency == 0 || self.concurrency > MAX_CONCURRENCY)
                .then(|| format!("--concurrency must be 1 to {MAX_CONCURRENCY}")),
            (self.concurrency > self.users)
                .then(|| "--concurrency may not exceed --users: each worker needs users of its own".to_string()),
            self.duration
                .filter(|d| !(*d > 0.0 && *d <= MAX_DURATION_SECONDS))
                .map(|_| format!("--duration must be above 0 and at most {MAX_DURATION_SECONDS} seconds")),
            self.requests
                .filter(|n| *n == 0 || *n > MAX_REQUESTS)
                .map(|_| format!("--requests must be 1 to {MAX_REQUESTS}")),
            (!(0.0..=1.0).contains(&self.invalid_ratio)).then(|| "--invalid-ratio must be 0.0 to 1.0".to_string()),
            self.rate
                .filter(|r| !(*r > 0.0 && *r <= MAX_RATE))
                .map(|_| format!("--rate must be above 0 and at most {MAX_RATE}")),
            (self.threads == 0 || self.threads > 64).then(|| "--threads must be 1 to 64".to_string()),
            (!(self.timeout > 0.0 && self.timeout <= 300.0)).then(|| "--timeout must be above 0 and at most 300".to_string()),
            (self.setup_concurrency == 0 || self.setup_concurrency > 256)
                .then(|| "--setup-concurrency must be 1 to 256".to_string()),
            (!self.setup && self.run_id.is_none())
                .then(|| "give --setup to create users, or --run-id of an earlier --setup run to reuse its users".to_string()),
            self.run_id.as_deref().and_then(run_id_problem),
        ]
    }

    /// How long the run may last at most.
    pub fn time_limit(&self) -> Duration {
        let seconds = match (self.duration, self.requests) {
            (Some(d), _) => d,
            (None, Some(_)) => MAX_DURATION_SECONDS,
            (None, None) => DEFAULT_DURATION_SECONDS,
        };
        Duration::from_secs_f64(seconds)
    }
}

fn run_id_problem(id: &str) -> Option<String> {
    let fine = !id.is_empty()
        && id.len() <= 32
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    (!fine).then(|| "--run-id must be 1 to 32 letters, digits or '-'".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Options {
        let mut all = vec!["verify-load", "--api-key", "k"];
        all.extend_from_slice(args);
        Options::try_parse_from(all).expect("options parse")
    }

    #[test]
    fn defaults_are_valid_with_setup() {
        let options = parse(&["--setup"]);
        assert!(options.validate().is_ok());
        assert_eq!(options.time_limit(), Duration::from_secs(10));
    }

    #[test]
    fn every_problem_is_reported() {
        let options = parse(&[
            "--users",
            "2",
            "--concurrency",
            "4",
            "--invalid-ratio",
            "2",
            "--run-id",
            "a b",
        ]);
        let message = options.validate().expect_err("invalid").to_string();
        assert!(
            message.contains("--concurrency may not exceed"),
            "{message}"
        );
        assert!(message.contains("--invalid-ratio"), "{message}");
        assert!(message.contains("--run-id"), "{message}");
    }

    #[test]
    fn requests_alone_bound_the_time_too() {
        let options = parse(&["--setup", "--requests", "5"]);
        assert_eq!(options.time_limit(), Duration::from_secs(3600));
    }
}
