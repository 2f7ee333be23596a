//! Token buckets: `per_minute` tries, refilled evenly, at most `per_minute`
//! saved up. One bucket for a door as a whole and one per key (a client
//! address, an API key), kept in this node's memory.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Keys tracked at most per door; past this, full buckets are forgotten
/// and, if still too many, a new key is refused (so a flood of forged
/// addresses costs memory up to here and no further).
pub const MAX_KEYS: usize = 65_536;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Bucket {
    fn full(per_minute: u32, now: Instant) -> Self {
        Bucket {
            tokens: f64::from(per_minute),
            at: now,
        }
    }

    fn refill(&mut self, per_minute: u32, now: Instant) {
        let rate = f64::from(per_minute) / 60.0;
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.tokens = (self.tokens + elapsed * rate).min(f64::from(per_minute));
        self.at = now;
    }

    /// Takes one token, or says how long until there is one.
    fn take(&mut self, per_minute: u32, now: Instant) -> Result<(), Duration> {
        self.refill(per_minute, now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            return Ok(());
        }
        let rate = f64::from(per_minute) / 60.0;
        Err(Duration::from_secs_f64((1.0 - self.tokens) / rate))
    }

    fn is_full(&self, per_minute: u32, now: Instant) -> bool {
        let mut probe = *self;
        probe.refill(per_minute, now);
        probe.tokens >= f64::from(per_minute)
    }
}

/// One limit: `per_minute` tries (0: no limit) per key.
#[derive(Debug)]
pub struct Buckets {
    per_minute: u32,
    keys: Mutex<Keys>,
}

#[derive(Debug, Default)]
struct Keys {
    buckets: HashMap<String, Bucket>,
    /// When full buckets were last forgotten: at most once a second, so a
    /// flood of new keys does not scan the map on every request.
    swept: Option<Instant>,
}

impl Buckets {
    pub fn new(per_minute: u32) -> Self {
        Buckets {
            per_minute,
            keys: Mutex::new(Keys::default()),
        }
    }

    pub fn per_minute(&self) -> u32 {
        self.per_minute
    }

    /// Takes one try for `key`, or says how long until the next one.
    pub fn take(&self, key: &str, now: Instant) -> Result<(), Duration> {
        if self.per_minute == 0 {
            return Ok(());
        }
        let mut keys = self.keys.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(bucket) = keys.buckets.get_mut(key) {
            return bucket.take(self.per_minute, now);
        }
        if keys.buckets.len() >= MAX_KEYS {
            let recently = keys
                .swept
                .is_some_and(|at| now.saturating_duration_since(at) < Duration::from_secs(1));
            if !recently {
                keys.swept = Some(now);
                let per_minute = self.per_minute;
                keys.buckets.retain(|_, b| !b.is_full(per_minute, now));
            }
            if keys.buckets.len() >= MAX_KEYS {
                return Err(Duration::from_secs(1));
            }
        }
        let mut bucket = Bucket::full(self.per_minute, now);
        let taken = bucket.take(self.per_minute, now);
        keys.buckets.insert(key.to_string(), bucket);
        taken
    }

    /// Gives a try back (a request the other limit refused).
    pub fn give_back(&self, key: &str) {
        let mut keys = self.keys.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(bucket) = keys.buckets.get_mut(key) {
            bucket.tokens = (bucket.tokens + 1.0).min(f64::from(self.per_minute));
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.keys.lock().map(|k| k.buckets.len()).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_gets_its_tries_then_waits_for_the_refill() {
        let buckets = Buckets::new(3);
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(buckets.take("a", t0).is_ok());
        }
        let wait = buckets.take("a", t0).expect_err("the fourth try waits");
        assert_eq!(wait.as_secs(), 20, "3 a minute: one every 20 s");
        // Another key has its own bucket.
        assert!(buckets.take("b", t0).is_ok());
        // 20 s later, one more.
        let t1 = t0 + Duration::from_secs(20);
        assert!(buckets.take("a", t1).is_ok());
        assert!(buckets.take("a", t1).is_err());
    }

    #[test]
    fn zero_means_no_limit() {
        let buckets = Buckets::new(0);
        let now = Instant::now();
        assert!((0..1000).all(|_| buckets.take("a", now).is_ok()));
        assert_eq!(buckets.len(), 0, "nothing kept without a limit");
    }

    #[test]
    fn full_buckets_are_forgotten_when_the_map_is_full() {
        let buckets = Buckets::new(60);
        let t0 = Instant::now();
        for i in 0..MAX_KEYS {
            assert!(buckets.take(&i.to_string(), t0).is_ok());
        }
        // At once: nothing is full yet, a new key is refused.
        assert!(buckets.take("new", t0).is_err());
        // A second later every bucket has refilled: they are dropped.
        let t1 = t0 + Duration::from_secs(1);
        assert!(buckets.take("new", t1).is_ok());
        assert_eq!(buckets.len(), 1);
    }
}
