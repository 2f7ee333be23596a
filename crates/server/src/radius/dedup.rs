//! Duplicate detection (RFC 5080 section 2.2.2): a retransmission (same
//! source, Identifier and Request Authenticator) never starts a second
//! verification; once answered it gets the same answer again.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long answers are kept for retransmissions.
const KEEP: Duration = Duration::from_secs(30);

type Key = (SocketAddr, u8, [u8; 16]);

enum Slot {
    InFlight(Instant),
    Answered(Vec<u8>, Instant),
}

pub enum Begin {
    New,
    InFlight,
    Answered(Vec<u8>),
}

#[derive(Default)]
pub struct Dedup {
    slots: Mutex<HashMap<Key, Slot>>,
}

impl Dedup {
    pub fn begin(&self, key: Key) -> Begin {
        let Ok(mut slots) = self.slots.lock() else {
            return Begin::New;
        };
        match slots.get(&key) {
            Some(Slot::InFlight(_)) => Begin::InFlight,
            Some(Slot::Answered(bytes, _)) => Begin::Answered(bytes.clone()),
            None => {
                slots.insert(key, Slot::InFlight(Instant::now()));
                Begin::New
            }
        }
    }

    pub fn finish(&self, key: Key, answer: Vec<u8>) {
        if let Ok(mut slots) = self.slots.lock() {
            slots.insert(key, Slot::Answered(answer, Instant::now()));
        }
    }

    /// Forgets a request that got no answer, so a retransmission is tried afresh.
    pub fn abandon(&self, key: Key) {
        if let Ok(mut slots) = self.slots.lock() {
            slots.remove(&key);
        }
    }

    pub fn purge(&self) {
        if let Ok(mut slots) = self.slots.lock() {
            // An answer is kept for retransmissions; a request still in flight
            // after far longer than any hold has lost its task.
            slots.retain(|_, slot| match slot {
                Slot::Answered(_, at) => at.elapsed() < KEEP,
                Slot::InFlight(at) => at.elapsed() < KEEP * 4,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retransmissions_wait_then_get_the_same_answer() {
        let dedup = Dedup::default();
        let key = ("127.0.0.1:5000".parse().expect("addr"), 7, [1u8; 16]);
        assert!(matches!(dedup.begin(key), Begin::New));
        assert!(matches!(dedup.begin(key), Begin::InFlight));
        dedup.finish(key, vec![2, 7]);
        assert!(matches!(dedup.begin(key), Begin::Answered(bytes) if bytes == vec![2, 7]));
        let other = (key.0, 8, key.2);
        assert!(matches!(dedup.begin(other), Begin::New));
        dedup.abandon(other);
        assert!(matches!(dedup.begin(other), Begin::New));
    }
}
