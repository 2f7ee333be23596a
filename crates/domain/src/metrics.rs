//! Counters of verifications by result and reason, and a latency
//! histogram; rendered as Prometheus text by the HTTP door.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::reason::Reason;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

#[derive(Debug, Default)]
pub struct VerifyMetrics {
    accepted: AtomicU64,
    rejected: [AtomicU64; Reason::ALL.len()],
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

impl VerifyMetrics {
    pub fn record(&self, reason: Option<Reason>, elapsed: Duration) {
        match reason {
            None => self.accepted.fetch_add(1, Ordering::Relaxed),
            Some(r) => self.rejected[index(r)].fetch_add(1, Ordering::Relaxed),
        };
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

    /// Appends the Prometheus text exposition of these metrics to `out`.
    pub fn render(&self, out: &mut String) {
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
        out.push_str(
            "# HELP countersign_verification_duration_seconds Time to decide a verification.\n",
        );
        out.push_str("# TYPE countersign_verification_duration_seconds histogram\n");
        for (bound, bucket) in BUCKETS.iter().zip(&self.buckets) {
            let n = bucket.load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "countersign_verification_duration_seconds_bucket{{le=\"{bound}\"}} {n}"
            );
        }
        let count = self.count.load(Ordering::Relaxed);
        let sum = self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = writeln!(
            out,
            "countersign_verification_duration_seconds_bucket{{le=\"+Inf\"}} {count}"
        );
        let _ = writeln!(out, "countersign_verification_duration_seconds_sum {sum}");
        let _ = writeln!(
            out,
            "countersign_verification_duration_seconds_count {count}"
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
}
