//! Forward-auth counters for `/metrics`: answers by result, and how often
//! a check had to read the store (the cache's misses).

use std::sync::atomic::{AtomicU64, Ordering};

use crate::metrics::{LabelledCounter, MetricsSource};

/// What a forward-auth check answered.
pub const RESULTS: &[&str] = &["allowed", "sign_in", "forbidden", "error"];

#[derive(Debug)]
pub struct ForwardMetrics {
    answers: LabelledCounter,
    store_reads: AtomicU64,
}

impl Default for ForwardMetrics {
    fn default() -> Self {
        Self {
            answers: LabelledCounter::new(RESULTS),
            store_reads: AtomicU64::new(0),
        }
    }
}

impl ForwardMetrics {
    pub fn answered(&self, result: &'static str) {
        self.answers.add(result);
    }

    pub fn read_store(&self) {
        self.store_reads.fetch_add(1, Ordering::Relaxed);
    }

    pub fn answers(&self, result: &str) -> u64 {
        self.answers.get(result)
    }

    pub fn store_reads(&self) -> u64 {
        self.store_reads.load(Ordering::Relaxed)
    }
}

impl MetricsSource for ForwardMetrics {
    fn render(&self, out: &mut String) {
        self.answers.render(
            "countersign_forward_auth_total",
            "result",
            "Forward-auth checks (/sso/auth/forward, /sso/auth/request), by answer: \
             allowed (200), sign_in (302/303/401), forbidden (403), error.",
            out,
        );
        out.push_str(&format!(
            "# HELP countersign_forward_auth_store_reads_total Forward-auth checks that read the \
             session from the store (not in this node's cache).\n\
             # TYPE countersign_forward_auth_store_reads_total counter\n\
             countersign_forward_auth_store_reads_total {}\n",
            self.store_reads()
        ));
    }
}
