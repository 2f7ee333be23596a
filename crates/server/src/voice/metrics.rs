//! `/metrics` of the calls: placed, answered, by result, by SIP status.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use countersign_domain::metrics::MetricsSource;
use countersign_voice::{CallOutcome, CallReport};

#[derive(Debug, Default)]
pub struct VoiceMetrics {
    placed: AtomicU64,
    answered: AtomicU64,
    by_result: Mutex<BTreeMap<&'static str, u64>>,
    by_status: Mutex<BTreeMap<u16, u64>>,
    /// The HTTP provider's callbacks (accepted, refused), when it is the provider.
    callbacks: Option<countersign_voice::http::Webhooks>,
    /// RFC 3550 jitter of the answered calls' RTP, milliseconds: (sum, max)
    /// of our stream as it left, and of the phone's stream as it came.
    send_jitter: Mutex<(f64, f64)>,
    receive_jitter: Mutex<(f64, f64)>,
}

fn add(cell: &Mutex<(f64, f64)>, value: f64) {
    if let Ok(mut c) = cell.lock() {
        c.0 += value;
        c.1 = c.1.max(value);
    }
}

impl VoiceMetrics {
    /// Counts the HTTP provider's callbacks too.
    pub fn with_callbacks(mut self, hooks: Option<countersign_voice::http::Webhooks>) -> Self {
        self.callbacks = hooks;
        self
    }

    pub fn placed(&self) {
        self.placed.fetch_add(1, Ordering::Relaxed);
    }

    /// A call that could not even be sent (bad number, no RTP port).
    pub fn not_placed(&self) {
        self.count_result("not_placed");
    }

    pub fn ended(&self, report: &CallReport) {
        if matches!(
            report.outcome,
            CallOutcome::Keys(_) | CallOutcome::NoKey { .. }
        ) {
            self.answered.fetch_add(1, Ordering::Relaxed);
            add(&self.send_jitter, report.media.send_jitter_ms);
            add(&self.receive_jitter, report.media.jitter_ms);
        }
        self.count_result(report.outcome.label());
        if let Some(status) = report.status {
            if let Ok(mut map) = self.by_status.lock() {
                *map.entry(status).or_default() += 1;
            }
        }
    }

    fn count_result(&self, label: &'static str) {
        if let Ok(mut map) = self.by_result.lock() {
            *map.entry(label).or_default() += 1;
        }
    }
}

impl MetricsSource for VoiceMetrics {
    fn render(&self, out: &mut String) {
        let placed = self.placed.load(Ordering::Relaxed);
        let answered = self.answered.load(Ordering::Relaxed);
        let _ = writeln!(
            out,
            "# HELP countersign_calls_placed_total Phone calls placed.\n# TYPE countersign_calls_placed_total counter\ncountersign_calls_placed_total {placed}"
        );
        let _ = writeln!(
            out,
            "# HELP countersign_calls_answered_total Phone calls answered.\n# TYPE countersign_calls_answered_total counter\ncountersign_calls_answered_total {answered}"
        );
        for (name, cell, what) in [
            (
                "send",
                &self.send_jitter,
                "our RTP as it left (send time against RTP timestamp)",
            ),
            (
                "receive",
                &self.receive_jitter,
                "the phone's RTP as it came",
            ),
        ] {
            let (sum, max) = cell.lock().map(|c| *c).unwrap_or_default();
            let _ = writeln!(
                out,
                "# HELP countersign_calls_rtp_{name}_jitter_ms_sum RFC 3550 jitter of {what}, summed over answered calls (divide by countersign_calls_answered_total).\n\
                 # TYPE countersign_calls_rtp_{name}_jitter_ms_sum counter\ncountersign_calls_rtp_{name}_jitter_ms_sum {sum:.3}\n\
                 # HELP countersign_calls_rtp_{name}_jitter_ms_max The largest of those jitters.\n\
                 # TYPE countersign_calls_rtp_{name}_jitter_ms_max gauge\ncountersign_calls_rtp_{name}_jitter_ms_max {max:.3}"
            );
        }
        let _ = writeln!(
            out,
            "# HELP countersign_calls_total Phone calls ended, by how (keys, no_key, unanswered, busy, declined, failed, not_placed).\n# TYPE countersign_calls_total counter"
        );
        if let Ok(map) = self.by_result.lock() {
            for (result, n) in map.iter() {
                let _ = writeln!(out, "countersign_calls_total{{result=\"{result}\"}} {n}");
            }
        }
        let _ = writeln!(
            out,
            "# HELP countersign_calls_sip_status_total Final SIP statuses of the calls' INVITEs.\n# TYPE countersign_calls_sip_status_total counter"
        );
        if let Ok(map) = self.by_status.lock() {
            for (status, n) in map.iter() {
                let _ = writeln!(
                    out,
                    "countersign_calls_sip_status_total{{status=\"{status}\"}} {n}"
                );
            }
        }
        if let Some(hooks) = &self.callbacks {
            let (accepted, refused) = hooks.counts();
            let _ = writeln!(
                out,
                "# HELP countersign_voice_callbacks_total The HTTP voice provider's callbacks, by whether their signature was right.\n# TYPE countersign_voice_callbacks_total counter\ncountersign_voice_callbacks_total{{result=\"accepted\"}} {accepted}\ncountersign_voice_callbacks_total{{result=\"refused\"}} {refused}"
            );
        }
    }
}
