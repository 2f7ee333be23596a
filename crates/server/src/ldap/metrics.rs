//! LDAP proxy counters: connections, binds by result, malformed messages.

use std::sync::atomic::{AtomicI64, Ordering};

use countersign_domain::metrics::{Histogram, LabelledCounter, MetricsSource};

pub struct LdapMetrics {
    pub connections: LabelledCounter,
    pub open: AtomicI64,
    pub binds: LabelledCounter,
    pub malformed: LabelledCounter,
    pub bind_duration: Histogram,
}

impl Default for LdapMetrics {
    fn default() -> Self {
        Self {
            connections: LabelledCounter::new(&["accepted", "unknown_client", "over_limit"]),
            open: AtomicI64::new(0),
            binds: LabelledCounter::new(&["accepted", "rejected", "unavailable"]),
            malformed: LabelledCounter::new(&["client"]),
            bind_duration: Histogram::default(),
        }
    }
}

impl MetricsSource for LdapMetrics {
    fn render(&self, out: &mut String) {
        self.connections.render(
            "countersign_ldap_connections_total",
            "result",
            "LDAP proxy connections, by what became of them.",
            out,
        );
        out.push_str("# HELP countersign_ldap_open_connections LDAP proxy connections open now.\n");
        out.push_str("# TYPE countersign_ldap_open_connections gauge\n");
        out.push_str(&format!(
            "countersign_ldap_open_connections {}\n",
            self.open.load(Ordering::Relaxed)
        ));
        self.binds.render(
            "countersign_ldap_binds_total",
            "result",
            "Simple binds through the LDAP proxy, by result.",
            out,
        );
        self.malformed.render(
            "countersign_ldap_malformed_total",
            "from",
            "Connections closed for a malformed LDAP message.",
            out,
        );
        self.bind_duration.render(
            "countersign_ldap_bind_duration_seconds",
            "Time from a bind request to its answer (a held push included).",
            out,
        );
    }
}
