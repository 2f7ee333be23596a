//! The numbers of a run, for people and as JSON.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

use crate::tally::Tally;

#[derive(Debug, Serialize)]
pub struct Report {
    pub run_id: String,
    pub url: String,
    /// "closed loop" or "open loop at R req/s".
    pub mode: String,
    pub users: usize,
    pub concurrency: usize,
    pub offered_rate: Option<f64>,
    pub invalid_ratio: f64,
    pub requests: u64,
    pub elapsed_seconds: f64,
    pub requests_per_second: f64,
    /// CPU seconds the load generator itself used during the run (Linux).
    pub load_generator_cpu_seconds: Option<f64>,
    /// CPU seconds the server used during the run (with --server-pid).
    pub server_cpu_seconds: Option<f64>,
    /// Busy CPU seconds of the whole machine during the run, all cores (Linux).
    pub machine_cpu_seconds: Option<f64>,
    pub latency_ms: Latency,
    pub results: Results,
    /// Signs of a server bug: valid codes not accepted, wrong codes accepted.
    pub problems: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct Latency {
    pub mean: f64,
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub p99_9: f64,
    pub max: f64,
}

#[derive(Debug, Serialize)]
pub struct Results {
    pub valid_sent: u64,
    pub invalid_sent: u64,
    pub accepted: u64,
    pub rejected: BTreeMap<String, u64>,
    pub http_errors: BTreeMap<u16, u64>,
    pub transport_errors: BTreeMap<String, u64>,
}

/// What the run was, besides its tally.
#[derive(Debug)]
pub struct RunInfo {
    pub run_id: String,
    pub url: String,
    pub users: usize,
    pub concurrency: usize,
    pub rate: Option<f64>,
    pub invalid_ratio: f64,
    pub elapsed: Duration,
    pub cpu: Option<Duration>,
    pub server_cpu: Option<Duration>,
    pub machine_cpu: Option<Duration>,
}

impl Report {
    pub fn new(info: RunInfo, tally: Tally) -> Self {
        let seconds = info.elapsed.as_secs_f64();
        let ms = |micros: u64| micros as f64 / 1000.0;
        let h = &tally.latency;
        Report {
            mode: info.rate.map_or_else(
                || "closed loop".to_string(),
                |r| format!("open loop at {r} req/s"),
            ),
            run_id: info.run_id,
            url: info.url,
            users: info.users,
            concurrency: info.concurrency,
            offered_rate: info.rate,
            invalid_ratio: info.invalid_ratio,
            requests: tally.total(),
            elapsed_seconds: seconds,
            requests_per_second: if seconds > 0.0 {
                tally.total() as f64 / seconds
            } else {
                0.0
            },
            load_generator_cpu_seconds: info.cpu.map(|d| d.as_secs_f64()),
            server_cpu_seconds: info.server_cpu.map(|d| d.as_secs_f64()),
            machine_cpu_seconds: info.machine_cpu.map(|d| d.as_secs_f64()),
            latency_ms: Latency {
                mean: h.mean() / 1000.0,
                p50: ms(h.value_at_quantile(0.50)),
                p90: ms(h.value_at_quantile(0.90)),
                p99: ms(h.value_at_quantile(0.99)),
                p99_9: ms(h.value_at_quantile(0.999)),
                max: ms(h.max()),
            },
            problems: tally.problems(),
            results: Results {
                valid_sent: tally.valid_sent,
                invalid_sent: tally.invalid_sent,
                accepted: tally.accepted,
                rejected: tally.rejected,
                http_errors: tally.http_errors,
                transport_errors: tally.transport_errors,
            },
        }
    }

    pub fn text(&self) -> String {
        let l = &self.latency_ms;
        let r = &self.results;
        let mut out = format!(
            "POST /api/v1/verify at {} ({}, concurrency {}, {} users, {:.0}% wrong codes, run id {})\n\
             requests   {} in {:.2} s = {:.0} req/s\n\
             latency ms p50 {:.2}  p90 {:.2}  p99 {:.2}  p99.9 {:.2}  max {:.2}  mean {:.2}\n\
             sent       {} valid, {} wrong\n\
             accepted   {}\n",
            self.url, self.mode, self.concurrency, self.users, self.invalid_ratio * 100.0, self.run_id,
            self.requests, self.elapsed_seconds, self.requests_per_second,
            l.p50, l.p90, l.p99, l.p99_9, l.max, l.mean,
            r.valid_sent, r.invalid_sent, r.accepted,
        );
        out.push_str(&format!("rejected   {}\n", listing(&r.rejected)));
        out.push_str(&format!("HTTP errors {}\n", listing(&r.http_errors)));
        out.push_str(&format!(
            "transport errors {}\n",
            listing(&r.transport_errors)
        ));
        let seconds = self.elapsed_seconds.max(f64::EPSILON);
        for (who, cpu) in [
            ("load generator", self.load_generator_cpu_seconds),
            ("server", self.server_cpu_seconds),
            ("machine (all processes)", self.machine_cpu_seconds),
        ] {
            if let Some(cpu) = cpu {
                out.push_str(&format!(
                    "{who} CPU {cpu:.2} s ({:.0}% of one core, {:.0} µs per request)\n",
                    100.0 * cpu / seconds,
                    1e6 * cpu / (self.requests.max(1) as f64)
                ));
            }
        }
        for problem in &self.problems {
            out.push_str(&format!("PROBLEM: {problem}\n"));
        }
        out
    }
}

fn listing<K: std::fmt::Display>(counts: &BTreeMap<K, u64>) -> String {
    if counts.is_empty() {
        return "none".to_string();
    }
    counts
        .iter()
        .map(|(k, n)| format!("{k}: {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}
