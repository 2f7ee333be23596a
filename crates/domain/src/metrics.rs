//! Counters of verifications by result and reason, and latency
//! histograms; rendered as Prometheus text by the HTTP door. Other doors
//! (RADIUS) add their own through [`MetricsSource`].

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::model::reason::Reason;

/// Anything that adds lines to `/metrics`.
pub trait MetricsSource: Send + Sync {
    fn render(&self, out: &mut String);
}

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

/// A Prometheus histogram of durations with fixed buckets.
#[derive(Debug, Default)]
pub struct Histogram {
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

impl Histogram {
    pub fn record(&self, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        for (bound, bucket) in BUCKETS.iter().zip(&self.buckets) {
            if seconds <= *bound {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_micros
            .fetch_add(elapsed.as_micros() as u64, Ordering::Relaxed);
    }

    pub fn render(&self, name: &str, help: &str, out: &mut String) {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
        for (bound, bucket) in BUCKETS.iter().zip(&self.buckets) {
            let n = bucket.load(Ordering::Relaxed);
            let _ = writeln!(out, "{name}_bucket{{le=\"{bound}\"}} {n}");
        }
        let count = self.count.load(Ordering::Relaxed);
        let sum = self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = writeln!(
            out,
            "{name}_bucket{{le=\"+Inf\"}} {count}\n{name}_sum {sum}\n{name}_count {count}"
        );
    }
}

/// Counters named by a fixed list of label values.
#[derive(Debug)]
pub struct LabelledCounter {
    labels: &'static [&'static str],
    counts: Vec<AtomicU64>,
}

impl LabelledCounter {
    pub fn new(labels: &'static [&'static str]) -> Self {
        Self {
            labels,
            counts: labels.iter().map(|_| AtomicU64::new(0)).collect(),
        }
    }

    /// Counts one for `label`; an unknown label is a programming error and is ignored.
    pub fn add(&self, label: &str) {
        if let Some(i) = self.labels.iter().position(|l| *l == label) {
            self.counts[i].fetch_add(1, Ordering::Relaxed);
        }
    }

    pub fn get(&self, label: &str) -> u64 {
        self.labels
            .iter()
            .position(|l| *l == label)
            .map_or(0, |i| self.counts[i].load(Ordering::Relaxed))
    }

    pub fn render(&self, name: &str, label: &str, help: &str, out: &mut String) {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
        for (value, count) in self.labels.iter().zip(&self.counts) {
            let _ = writeln!(
                out,
                "{name}{{{label}=\"{value}\"}} {}",
                count.load(Ordering::Relaxed)
            );
        }
    }
}

#[derive(Debug)]
pub struct VerifyMetrics {
    accepted: AtomicU64,
    rejected: [AtomicU64; Reason::ALL.len()],
    latency: Histogram,
}

// By hand: `Default` is derived for arrays of at most 32, and there are more reasons.
impl Default for VerifyMetrics {
    fn default() -> Self {
        Self {
            accepted: AtomicU64::new(0),
            rejected: std::array::from_fn(|_| AtomicU64::new(0)),
            latency: Histogram::default(),
        }
    }
}

impl VerifyMetrics {
    pub fn record(&self, reason: Option<Reason>, elapsed: Duration) {
        match reason {
            None => self.accepted.fetch_add(1, Ordering::Relaxed),
            Some(r) => self.rejected[index(r)].fetch_add(1, Ordering::Relaxed),
        };
        self.latency.record(elapsed);
    }
}

impl MetricsSource for VerifyMetrics {
    fn render(&self, out: &mut String) {
        out.push_str(
            "# HELP countersign_verifications_total Verifications by result and reason.\n",
        );
        out.push_str("# TYPE countersign_verifications_total counter\n");
        let accepted = self.accepted.load(Ordering::Relaxed);
        let _ = writeln!(
            out,
            "countersign_verifications_total{{result=\"accepted\",reason=\"\"}} {accepted}"
        );
        for reason in Reason::ALL {
            let n = self.rejected[index(reason)].load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "countersign_verifications_total{{result=\"rejected\",reason=\"{reason}\"}} {n}"
            );
        }
        self.latency.render(
            "countersign_verification_duration_seconds",
            "Time to decide a verification.",
            out,
        );
    }
}

fn index(reason: Reason) -> usize {
    Reason::ALL.iter().position(|r| *r == reason).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counts_and_cumulative_buckets() {
        let m = VerifyMetrics::default();
        m.record(None, Duration::from_micros(800));
        m.record(Some(Reason::CodeReused), Duration::from_millis(20));
        let mut text = String::new();
        m.render(&mut text);
        assert!(text.contains("countersign_verifications_total{result=\"accepted\",reason=\"\"} 1"));
        assert!(text.contains("result=\"rejected\",reason=\"code_reused\"} 1"));
        assert!(text.contains("_bucket{le=\"0.001\"} 1"));
        assert!(text.contains("_bucket{le=\"0.025\"} 2"));
        assert!(text.contains("_count 2"));
    }

    #[test]
    fn labelled_counters_count_known_labels() {
        let c = LabelledCounter::new(&["a", "b"]);
        c.add("a");
        c.add("a");
        c.add("zzz");
        assert_eq!((c.get("a"), c.get("b")), (2, 0));
        let mut text = String::new();
        c.render("x_total", "kind", "help", &mut text);
        assert!(text.contains("x_total{kind=\"a\"} 2"));
    }
}
