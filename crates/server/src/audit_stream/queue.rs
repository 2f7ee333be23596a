//! The bounded queue between the store's audit tap and one stream's sender.
//! It holds one mark per record, not the record: the sender reads records
//! from the store by its cursor, so the queue only wakes it and counts what
//! did not fit. Putting a mark in never waits: when the queue is full (the sender is
//! slow or its collector is away) the record is counted as dropped, and the
//! sender, which reads the store by its own cursor, sends it later anyway.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use countersign_domain::ports::AuditTap;
use countersign_domain::AuditRecord;
use tokio::sync::mpsc;

/// Counters one queue shares with its sender, the metrics and the doctor.
#[derive(Debug, Default)]
pub struct QueueCounters {
    /// Records put in the queue.
    pub queued: AtomicU64,
    /// Records that found the queue full.
    pub dropped: AtomicU64,
}

/// The putting end.
#[derive(Clone)]
pub struct QueueTap {
    sender: mpsc::Sender<()>,
    pub counters: Arc<QueueCounters>,
}

/// Makes a queue of `capacity` records.
pub fn queue(capacity: usize) -> (QueueTap, mpsc::Receiver<()>) {
    let (sender, receiver) = mpsc::channel(capacity.max(1));
    let tap = QueueTap {
        sender,
        counters: Arc::new(QueueCounters::default()),
    };
    (tap, receiver)
}

impl QueueTap {
    /// Marks a record without waiting; false when it was dropped.
    pub fn put(&self, _record: &AuditRecord) -> bool {
        match self.sender.try_send(()) {
            Ok(()) => {
                self.counters.queued.fetch_add(1, Ordering::Relaxed);
                true
            }
            // Full, or the sender has stopped (shutting down): dropped.
            Err(_) => {
                self.counters.dropped.fetch_add(1, Ordering::Relaxed);
                false
            }
        }
    }
}

/// Every stream's queue: what the store's tap puts each record in.
pub struct FanOut(pub Vec<QueueTap>);

impl AuditTap for FanOut {
    fn recorded(&self, record: &AuditRecord) {
        for tap in &self.0 {
            tap.put(record);
        }
    }
}

/// Takes what is waiting without waiting; how many records that was.
pub fn drain(receiver: &mut mpsc::Receiver<()>) -> usize {
    let mut n = 0;
    while receiver.try_recv().is_ok() {
        n += 1;
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: &str) -> AuditRecord {
        AuditRecord {
            id: id.into(),
            at: 1,
            username: "alice".into(),
            user_id: None,
            method: "otp".into(),
            token_id: None,
            result: "accepted".into(),
            reason: None,
            api_key: None,
            source_address: None,
        }
    }

    #[test]
    fn a_full_queue_counts_drops_without_waiting() {
        let (tap, mut receiver) = queue(3);
        let fan = FanOut(vec![tap.clone()]);
        for i in 0..5 {
            fan.recorded(&record(&i.to_string()));
        }
        assert_eq!(tap.counters.queued.load(Ordering::Relaxed), 3);
        assert_eq!(tap.counters.dropped.load(Ordering::Relaxed), 2);
        assert_eq!(drain(&mut receiver), 3);
        // Room again once the sender has taken what was there.
        assert!(tap.put(&record("6")));
        assert_eq!(drain(&mut receiver), 1);
    }

    #[test]
    fn a_stopped_sender_drops_instead_of_blocking() {
        let (tap, receiver) = queue(10);
        drop(receiver);
        assert!(!tap.put(&record("1")));
        assert_eq!(tap.counters.dropped.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn every_stream_gets_each_record() {
        let (a, mut ra) = queue(10);
        let (b, mut rb) = queue(1);
        let fan = FanOut(vec![a, b.clone()]);
        fan.recorded(&record("1"));
        fan.recorded(&record("2"));
        assert_eq!(drain(&mut ra), 2);
        assert_eq!(drain(&mut rb), 1);
        assert_eq!(b.counters.dropped.load(Ordering::Relaxed), 1);
    }
}
