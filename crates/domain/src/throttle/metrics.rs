//! Every refusal counted (`/metrics`) and logged, at most one line a
//! minute per door and cause, with how many were not logged.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::limits::Door;
use super::limits::Lane;

/// Which limit refused: the client's own (address or API key) or the door's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Key,
    Global,
}

impl Scope {
    pub fn as_str(self, door: Door) -> &'static str {
        match (self, door) {
            (Scope::Key, Door::Verify) => "api_key",
            (Scope::Key, _) => "address",
            (Scope::Global, _) => "global",
        }
    }
}

const LOG_EVERY: Duration = Duration::from_secs(60);

#[derive(Default)]
struct LogGate {
    last: Option<Instant>,
    unlogged: u64,
}

impl LogGate {
    /// `Some(unlogged before this one)` when a line may be written now.
    fn pass(&mut self, now: Instant) -> Option<u64> {
        if self
            .last
            .is_some_and(|at| now.duration_since(at) < LOG_EVERY)
        {
            self.unlogged += 1;
            return None;
        }
        self.last = Some(now);
        Some(std::mem::take(&mut self.unlogged))
    }
}

/// Refusals by door and limit, and by pool lane.
#[derive(Default)]
pub struct ThrottleMetrics {
    limited: [[AtomicU64; 2]; Door::ALL.len()],
    pool: [AtomicU64; 2],
    gates: Mutex<Vec<((Door, Scope), LogGate)>>,
    pool_gates: Mutex<[LogGate; 2]>,
}

fn door_index(door: Door) -> usize {
    Door::ALL.iter().position(|d| *d == door).unwrap_or(0)
}

fn lane_index(lane: Lane) -> usize {
    match lane {
        Lane::Hash => 0,
        Lane::Directory => 1,
    }
}

impl ThrottleMetrics {
    pub fn limited(&self, door: Door, scope: Scope, key: &str, retry: Duration) {
        let i = match scope {
            Scope::Key => 0,
            Scope::Global => 1,
        };
        self.limited[door_index(door)][i].fetch_add(1, Ordering::Relaxed);
        let now = Instant::now();
        let mut gates = self.gates.lock().unwrap_or_else(|p| p.into_inner());
        let gate = match gates.iter().position(|(k, _)| *k == (door, scope)) {
            Some(at) => &mut gates[at].1,
            None => {
                gates.push(((door, scope), LogGate::default()));
                let last = gates.len() - 1;
                &mut gates[last].1
            }
        };
        if let Some(unlogged) = gate.pass(now) {
            tracing::warn!(
                door = door.as_str(),
                limit = scope.as_str(door),
                client = key,
                retry_after_seconds = retry.as_secs().max(1),
                refused_unlogged = unlogged,
                "too many {}: refused (429); limits are in [limits] of the configuration",
                door.noun()
            );
        }
    }

    pub fn pool_refused(&self, lane: Lane) {
        self.pool[lane_index(lane)].fetch_add(1, Ordering::Relaxed);
        let mut gates = self.pool_gates.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(unlogged) = gates[lane_index(lane)].pass(Instant::now()) {
            tracing::warn!(
                lane = lane.as_str(),
                refused_unlogged = unlogged,
                "the {} pool is full: a request was answered busy; see limits.{}_workers",
                lane.as_str(),
                lane.as_str()
            );
        }
    }

    pub fn refusals(&self, door: Door, scope: Scope) -> u64 {
        let i = usize::from(scope == Scope::Global);
        self.limited[door_index(door)][i].load(Ordering::Relaxed)
    }

    pub fn pool_refusals(&self, lane: Lane) -> u64 {
        self.pool[lane_index(lane)].load(Ordering::Relaxed)
    }

    pub fn render(&self, out: &mut String) {
        let name = "countersign_rate_limited_total";
        let _ = writeln!(
            out,
            "# HELP {name} Requests refused by a rate limit (429), by door and limit.\n# TYPE {name} counter"
        );
        for door in Door::ALL {
            for scope in [Scope::Key, Scope::Global] {
                let _ = writeln!(
                    out,
                    "{name}{{door=\"{}\",limit=\"{}\"}} {}",
                    door.as_str(),
                    scope.as_str(door),
                    self.refusals(door, scope)
                );
            }
        }
        let name = "countersign_work_pool_refused_total";
        let _ = writeln!(
            out,
            "# HELP {name} Requests answered busy because the work pool was full, by lane.\n# TYPE {name} counter"
        );
        for lane in [Lane::Hash, Lane::Directory] {
            let _ = writeln!(
                out,
                "{name}{{lane=\"{}\"}} {}",
                lane.as_str(),
                self.pool_refusals(lane)
            );
        }
    }
}
