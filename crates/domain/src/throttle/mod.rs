//! Holding under abuse: what a guessable door may be asked, and the work
//! pool that keeps expensive work (password hashes, directory binds) off
//! the async workers. Doors consult [`Throttle`] before they do any work
//! and answer its refusal in their protocol (HTTP 429 with `Retry-After`,
//! LDAP busy, RADIUS no answer); they never count or decide themselves.
//!
//! The buckets live in this node's memory: with N nodes behind a load
//! balancer a client gets at most N times a limit. What must hold across
//! nodes (a user's failures and lockout) is in the store already.

mod bucket;
mod limits;
mod metrics;
mod pool;

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use bucket::{Buckets, MAX_KEYS};
pub use limits::{cores, Door, DoorLimit, Lane, LaneSize, Limits};
pub use metrics::{Scope, ThrottleMetrics};
pub use pool::{WorkPool, BUSY_RETRY_SECONDS};

use crate::metrics::MetricsSource;

/// A try refused by a limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refused {
    pub door: Door,
    pub scope: Scope,
    /// Whole seconds until the next try is let through (at least 1).
    pub retry_after_seconds: u64,
}

impl Refused {
    /// The words a refused client reads.
    pub fn message(&self) -> String {
        let whose = match self.scope {
            Scope::Key if self.door == Door::Verify => "",
            Scope::Key => " from your address",
            Scope::Global => " on this server",
        };
        format!(
            "Too many {}{whose}; try again in {} second(s).",
            self.door.noun(),
            self.retry_after_seconds
        )
    }
}

struct DoorBuckets {
    door: Door,
    per_key: Buckets,
    global: Buckets,
}

struct Inner {
    limits: Limits,
    doors: Vec<DoorBuckets>,
    pool: WorkPool,
    metrics: Arc<ThrottleMetrics>,
}

/// The limits and the pool of this node; cloning shares them.
#[derive(Clone)]
pub struct Throttle(Arc<Inner>);

impl Throttle {
    pub fn new(limits: Limits) -> Self {
        let metrics = Arc::new(ThrottleMetrics::default());
        let doors = Door::ALL
            .iter()
            .map(|&door| {
                let limit = limits.of(door);
                DoorBuckets {
                    door,
                    per_key: Buckets::new(limit.per_key),
                    global: Buckets::new(limit.global),
                }
            })
            .collect();
        let pool = WorkPool::new(limits.hash, limits.directory, metrics.clone());
        Throttle(Arc::new(Inner {
            limits,
            doors,
            pool,
            metrics,
        }))
    }

    /// One try at `door` by `key` (see [`address_key`]), or why not.
    pub fn admit(&self, door: Door, key: &str) -> Result<(), Refused> {
        self.admit_at(door, key, Instant::now())
    }

    fn admit_at(&self, door: Door, key: &str, now: Instant) -> Result<(), Refused> {
        let Some(buckets) = self.0.doors.iter().find(|b| b.door == door) else {
            return Ok(());
        };
        let refuse = |scope, wait: Duration| {
            self.0.metrics.limited(door, scope, key, wait);
            Refused {
                door,
                scope,
                retry_after_seconds: wait.as_secs_f64().ceil().max(1.0) as u64,
            }
        };
        buckets
            .per_key
            .take(key, now)
            .map_err(|wait| refuse(Scope::Key, wait))?;
        if let Err(wait) = buckets.global.take("", now) {
            // The client's own try was not spent.
            buckets.per_key.give_back(key);
            return Err(refuse(Scope::Global, wait));
        }
        Ok(())
    }

    pub fn pool(&self) -> &WorkPool {
        &self.0.pool
    }

    pub fn limits(&self) -> &Limits {
        &self.0.limits
    }

    pub fn metrics(&self) -> &ThrottleMetrics {
        &self.0.metrics
    }
}

impl Default for Throttle {
    fn default() -> Self {
        Throttle::new(Limits::default())
    }
}

impl MetricsSource for Throttle {
    fn render(&self, out: &mut String) {
        self.0.metrics.render(out);
        let name = "countersign_work_pool_in_use";
        out.push_str(&format!(
            "# HELP {name} Places taken in the work pool (running and waiting), by lane.\n# TYPE {name} gauge\n"
        ));
        for lane in [Lane::Hash, Lane::Directory] {
            let size = self.0.pool.size(lane);
            out.push_str(&format!(
                "{name}{{lane=\"{}\"}} {}\ncountersign_work_pool_size{{lane=\"{}\"}} {}\n",
                lane.as_str(),
                self.0.pool.in_use(lane),
                lane.as_str(),
                size.workers + size.queue
            ));
        }
    }
}

/// The key a client address is limited by: an IPv4 address, or the /64 an
/// IPv6 address is in (one host gets a whole /64); `unknown` without one.
pub fn address_key(address: Option<IpAddr>) -> String {
    match address.map(crate::model::net::canonical) {
        Some(IpAddr::V4(v4)) => v4.to_string(),
        Some(IpAddr::V6(v6)) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        None => "unknown".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(per_key: u32, global: u32) -> Limits {
        let door = DoorLimit { per_key, global };
        Limits {
            signin: door,
            ..Limits::default()
        }
    }

    #[test]
    fn one_address_is_refused_while_another_gets_through() {
        let throttle = Throttle::new(limits(2, 100));
        let now = Instant::now();
        let door = Door::PortalSignIn;
        assert!(throttle.admit_at(door, "192.0.2.1", now).is_ok());
        assert!(throttle.admit_at(door, "192.0.2.1", now).is_ok());
        let refused = throttle
            .admit_at(door, "192.0.2.1", now)
            .expect_err("third");
        assert_eq!(refused.scope, Scope::Key);
        assert_eq!(refused.retry_after_seconds, 30);
        assert!(throttle.admit_at(door, "192.0.2.2", now).is_ok());
        // The console's sign-in has buckets of its own.
        assert!(throttle
            .admit_at(Door::ConsoleSignIn, "192.0.2.1", now)
            .is_ok());
        assert_eq!(throttle.metrics().refusals(door, Scope::Key), 1);
    }

    #[test]
    fn the_global_limit_refuses_everyone_and_spares_their_own() {
        let throttle = Throttle::new(limits(5, 2));
        let now = Instant::now();
        let door = Door::PortalSignIn;
        assert!(throttle.admit_at(door, "a", now).is_ok());
        assert!(throttle.admit_at(door, "b", now).is_ok());
        let refused = throttle.admit_at(door, "c", now).expect_err("global");
        assert_eq!(refused.scope, Scope::Global);
        assert!(refused.message().contains("on this server"));
        assert_eq!(throttle.metrics().refusals(door, Scope::Global), 1);
    }

    #[test]
    fn ipv6_clients_are_limited_by_their_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().expect("ip");
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().expect("ip");
        assert_eq!(address_key(Some(a)), address_key(Some(b)));
        assert_eq!(address_key(Some(a)), "2001:db8:1:2::/64");
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().expect("ip");
        assert_eq!(address_key(Some(mapped)), "192.0.2.7");
    }

    #[test]
    fn refusals_are_on_metrics() {
        let throttle = Throttle::new(limits(1, 0));
        let now = Instant::now();
        let _ = throttle.admit_at(Door::PortalSignIn, "a", now);
        let _ = throttle.admit_at(Door::PortalSignIn, "a", now);
        let mut out = String::new();
        throttle.render(&mut out);
        assert!(out.contains(
            "countersign_rate_limited_total{door=\"portal_signin\",limit=\"address\"} 1"
        ));
        assert!(out.contains("countersign_work_pool_in_use{lane=\"hash\"} 0"));
    }
}
