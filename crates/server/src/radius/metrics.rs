//! RADIUS counters: packets by type, drops by cause, latency.

use countersign_domain::metrics::{Histogram, LabelledCounter, MetricsSource};

pub const DROP_CAUSES: &[&str] = &[
    "unknown_client",
    "malformed",
    "unsupported_code",
    "missing_message_authenticator",
    "bad_message_authenticator",
    "bad_password",
    "duplicate_in_flight",
    "upstream_unreachable",
    "server_error",
    "overload",
    "busy",
];

pub struct RadiusMetrics {
    pub received: LabelledCounter,
    pub sent: LabelledCounter,
    pub dropped: LabelledCounter,
    pub duplicates_answered: LabelledCounter,
    pub latency: Histogram,
}

impl Default for RadiusMetrics {
    fn default() -> Self {
        Self {
            received: LabelledCounter::new(&["access_request", "other"]),
            sent: LabelledCounter::new(&["access_accept", "access_reject", "access_challenge"]),
            dropped: LabelledCounter::new(DROP_CAUSES),
            duplicates_answered: LabelledCounter::new(&["cached"]),
            latency: Histogram::default(),
        }
    }
}

impl MetricsSource for RadiusMetrics {
    fn render(&self, out: &mut String) {
        self.received.render(
            "countersign_radius_received_total",
            "type",
            "RADIUS packets received, by type.",
            out,
        );
        self.sent.render(
            "countersign_radius_sent_total",
            "type",
            "RADIUS answers sent, by type.",
            out,
        );
        self.dropped.render(
            "countersign_radius_dropped_total",
            "cause",
            "RADIUS packets dropped without an answer, by cause.",
            out,
        );
        self.duplicates_answered.render(
            "countersign_radius_retransmissions_total",
            "answer",
            "Retransmitted requests answered from the cache (RFC 5080), never verified twice.",
            out,
        );
        self.latency.render(
            "countersign_radius_duration_seconds",
            "Time from a request to its answer.",
            out,
        );
    }
}
