//! The numbers of a radius-load run, for people and as JSON, with the
//! server's own drop counters.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

use crate::tally::Tally;

/// What the run was asked to do.
pub struct Setting {
    pub run_id: String,
    pub radius: String,
    pub rate: Option<f64>,
    pub users: usize,
    pub concurrency: usize,
    pub invalid_ratio: f64,
}

/// `countersign_radius_dropped_total` by cause, from the server's /metrics.
pub async fn server_drops(url: &str) -> Option<BTreeMap<String, u64>> {
    let text = reqwest::get(url).await.ok()?.text().await.ok()?;
    let prefix = "countersign_radius_dropped_total{cause=\"";
    Some(
        text.lines()
            .filter_map(|line| line.strip_prefix(prefix)?.split_once("\"} "))
            .filter_map(|(cause, n)| {
                Some((cause.to_string(), n.trim().parse::<f64>().ok()? as u64))
            })
            .collect(),
    )
}

pub fn diff(
    before: Option<BTreeMap<String, u64>>,
    after: Option<BTreeMap<String, u64>>,
) -> Option<BTreeMap<String, u64>> {
    let (before, after) = (before?, after?);
    Some(
        after
            .into_iter()
            .map(|(cause, n)| (n.saturating_sub(*before.get(&cause).unwrap_or(&0)), cause))
            .filter(|(n, _)| *n > 0)
            .map(|(n, cause)| (cause, n))
            .collect(),
    )
}

#[derive(Debug, Serialize)]
pub struct RadiusReport {
    run_id: String,
    radius: String,
    mode: String,
    users: usize,
    concurrency: usize,
    invalid_ratio: f64,
    requests: u64,
    elapsed_seconds: f64,
    requests_per_second: f64,
    latency_ms: BTreeMap<&'static str, f64>,
    valid_sent: u64,
    invalid_sent: u64,
    accepted: u64,
    rejected: BTreeMap<String, u64>,
    /// Timeouts and answers that were not what a NAS expects.
    errors: BTreeMap<String, u64>,
    /// CPU seconds: load generator, server (with --server-pid), whole machine.
    cpu_seconds: [Option<f64>; 3],
    /// Packets the server dropped during the run, by cause (from /metrics).
    server_drops: Option<BTreeMap<String, u64>>,
    pub problems: Vec<String>,
}

impl RadiusReport {
    pub fn new(
        setting: Setting,
        elapsed: Duration,
        tally: Tally,
        cpu_seconds: [Option<f64>; 3],
        server_drops: Option<BTreeMap<String, u64>>,
    ) -> Self {
        let seconds = elapsed.as_secs_f64();
        let h = &tally.latency;
        let ms = |micros: u64| micros as f64 / 1000.0;
        let latency_ms = BTreeMap::from([
            ("mean", h.mean() / 1000.0),
            ("p50", ms(h.value_at_quantile(0.50))),
            ("p90", ms(h.value_at_quantile(0.90))),
            ("p99", ms(h.value_at_quantile(0.99))),
            ("p99_9", ms(h.value_at_quantile(0.999))),
            ("max", ms(h.max())),
        ]);
        Self {
            run_id: setting.run_id,
            radius: setting.radius,
            mode: setting.rate.map_or_else(
                || "closed loop".to_string(),
                |r| format!("open loop at {r} req/s"),
            ),
            users: setting.users,
            concurrency: setting.concurrency,
            invalid_ratio: setting.invalid_ratio,
            requests: tally.total(),
            elapsed_seconds: seconds,
            requests_per_second: tally.total() as f64 / seconds.max(f64::EPSILON),
            latency_ms,
            valid_sent: tally.valid_sent,
            invalid_sent: tally.invalid_sent,
            accepted: tally.accepted,
            problems: tally.problems(),
            rejected: tally.rejected,
            errors: tally.transport_errors,
            cpu_seconds,
            server_drops,
        }
    }

    pub fn text(&self) -> String {
        let l = |k: &str| self.latency_ms.get(k).copied().unwrap_or_default();
        let mut out = format!(
            "RADIUS Access-Request (PAP + HOTP) to {} ({}, concurrency {}, {} users, {:.0}% wrong codes, run id {})\n\
             requests   {} in {:.2} s = {:.0} req/s\n\
             latency ms p50 {:.2}  p90 {:.2}  p99 {:.2}  p99.9 {:.2}  max {:.2}  mean {:.2}\n\
             sent       {} valid, {} wrong\n\
             accepted   {}\nrejected   {}\nerrors     {}\nserver drops {}\n",
            self.radius, self.mode, self.concurrency, self.users, self.invalid_ratio * 100.0, self.run_id,
            self.requests, self.elapsed_seconds, self.requests_per_second,
            l("p50"), l("p90"), l("p99"), l("p99_9"), l("max"), l("mean"),
            self.valid_sent, self.invalid_sent, self.accepted,
            listing(&self.rejected), listing(&self.errors),
            self.server_drops.as_ref().map_or("unknown (no /metrics)".to_string(), listing),
        );
        let names = ["load generator", "server", "machine (all cores)"];
        for (name, cpu) in names.iter().zip(self.cpu_seconds) {
            if let Some(cpu) = cpu {
                let share = 100.0 * cpu / self.elapsed_seconds.max(f64::EPSILON);
                out.push_str(&format!(
                    "{name} CPU {cpu:.2} s ({share:.0}% of one core)\n"
                ));
            }
        }
        for problem in &self.problems {
            out.push_str(&format!("PROBLEM: {problem}\n"));
        }
        out
    }
}

fn listing(counts: &BTreeMap<String, u64>) -> String {
    if counts.is_empty() {
        return "none".to_string();
    }
    let items: Vec<String> = counts.iter().map(|(k, n)| format!("{k}: {n}")).collect();
    items.join(", ")
}
