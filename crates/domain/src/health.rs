//! The liveness and readiness probe behind `/healthz`: whether the
//! database answers, which database it is, and (with several nodes on
//! PostgreSQL) whether this node hears the others.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;

use crate::ports::{MetaStore, Store};

/// The meta row read to see the database answer (it always exists).
const PROBE_KEY: &str = "key_check";

#[derive(Clone)]
pub struct Health {
    store: Arc<dyn MetaStore>,
    backend: &'static str,
    hearing: Hearing,
}

impl Health {
    pub fn new(store: Arc<dyn Store>, hearing: Hearing) -> Self {
        Self {
            backend: store.backend(),
            store,
            hearing,
        }
    }

    /// Which database this is (`sqlite`, `postgres`).
    pub fn backend(&self) -> &'static str {
        self.backend
    }

    /// Whether the database answers a read now.
    pub async fn database_answers(&self) -> bool {
        self.store.get_meta(PROBE_KEY).await.is_ok()
    }

    /// Whether this node hears the other nodes; None with one node (SQLite).
    pub fn hears_other_nodes(&self) -> Option<bool> {
        self.hearing.state()
    }
}

/// Whether this node hears the other nodes' push events (PostgreSQL
/// `LISTEN`): a push made on another node reaches this node's devices, and
/// a decision its waiters, only while it does. Shared by the listener,
/// which sets it, and [`Health`], which reads it.
#[derive(Clone, Debug, Default)]
pub struct Hearing(Arc<AtomicU8>);

const NOT_NEEDED: u8 = 0;
const LISTENING: u8 = 1;
const DEAF: u8 = 2;

impl Hearing {
    /// For a node that must hear others (PostgreSQL): deaf until it listens.
    pub fn needed() -> Self {
        Self(Arc::new(AtomicU8::new(DEAF)))
    }

    /// Listening (true) or interrupted (false).
    pub fn set(&self, listening: bool) {
        let state = if listening { LISTENING } else { DEAF };
        self.0.store(state, Ordering::Relaxed);
    }

    pub fn state(&self) -> Option<bool> {
        match self.0.load(Ordering::Relaxed) {
            NOT_NEEDED => None,
            state => Some(state == LISTENING),
        }
    }
}

/// `countersign_other_nodes_listening`: 1 while this node hears the other
/// nodes, 0 while it does not (only with PostgreSQL).
impl crate::metrics::MetricsSource for Hearing {
    fn render(&self, out: &mut String) {
        if let Some(listening) = self.state() {
            out.push_str("# HELP countersign_other_nodes_listening This node hears the other nodes' push events (PostgreSQL LISTEN).\n");
            out.push_str("# TYPE countersign_other_nodes_listening gauge\n");
            out.push_str(&format!(
                "countersign_other_nodes_listening {}\n",
                u8::from(listening)
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::MetricsSource;

    #[test]
    fn hearing_is_reported_only_where_nodes_must_hear_each_other() {
        let single = Hearing::default();
        assert_eq!(single.state(), None, "SQLite: one node, nothing to hear");
        let mut text = String::new();
        single.render(&mut text);
        assert!(text.is_empty());

        let shared = Hearing::needed();
        assert_eq!(shared.state(), Some(false), "deaf until it listens");
        let seen_by_health = shared.clone();
        shared.set(true);
        assert_eq!(seen_by_health.state(), Some(true));
        let mut text = String::new();
        seen_by_health.render(&mut text);
        assert!(
            text.contains("countersign_other_nodes_listening 1\n"),
            "{text}"
        );
        shared.set(false);
        assert_eq!(seen_by_health.state(), Some(false));
    }
}
