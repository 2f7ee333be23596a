//! The bounded queue between the store's audit tap and one stream's sender.
//! It holds each committed record with its position (`seq`), which the
//! store hands over at commit: the sender formats and sends them without
//! reading the store back. Putting a record in never waits: when the queue
//! is full (the sender is slow or its collector is away) the record is
//! counted as dropped, and the sender, which sees the gap in the positions,
//! reads it from the store (the source of truth) and sends it anyway.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use countersign_domain::ports::AuditTap;
use countersign_domain::AuditRecord;
use tokio::sync::mpsc;

/// A committed record and its position.
pub type Entry = (i64, AuditRecord);

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
    sender: mpsc::Sender<Entry>,
    pub counters: Arc<QueueCounters>,
}

/// Makes a queue of `capacity` records.
pub fn queue(capacity: usize) -> (QueueTap, mpsc::Receiver<Entry>) {
    let (sender, receiver) = mpsc::channel(capacity.max(1));
    let tap = QueueTap {
        sender,
        counters: Arc::new(QueueCounters::default()),
    };
    (tap, receiver)
}

impl QueueTap {
    /// Puts a record in without waiting; false when it was dropped.
    pub fn put(&self, seq: i64, record: AuditRecord) -> bool {
        match self.sender.try_send((seq, record)) {
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

/// Every stream's queue: what the store's tap puts each record in (a
/// copy for each stream but the last).
pub struct FanOut(pub Vec<QueueTap>);

impl AuditTap for FanOut {
    fn recorded(&self, seq: i64, record: AuditRecord) {
        if let Some((last, others)) = self.0.split_last() {
            for tap in others {
                tap.put(seq, record.clone());
            }
            last.put(seq, record);
        }
    }
}

/// Takes what is waiting without waiting, into `into`; how many records that was.
pub fn drain(receiver: &mut mpsc::Receiver<Entry>, into: &mut Vec<Entry>) -> usize {
    let mut n = 0;
    while let Ok(entry) = receiver.try_recv() {
        into.push(entry);
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
            rule: None,
        }
    }

    #[test]
    fn a_full_queue_counts_drops_without_waiting() {
        let (tap, mut receiver) = queue(3);
        let fan = FanOut(vec![tap.clone()]);
        for i in 0..5 {
            fan.recorded(i, record(&i.to_string()));
        }
        assert_eq!(tap.counters.queued.load(Ordering::Relaxed), 3);
        assert_eq!(tap.counters.dropped.load(Ordering::Relaxed), 2);
        let mut got = Vec::new();
        assert_eq!(drain(&mut receiver, &mut got), 3);
        let seqs: Vec<i64> = got.iter().map(|(s, _)| *s).collect();
        assert_eq!(seqs, [0, 1, 2]);
        assert_eq!(got[2].1.id, "2");
        // Room again once the sender has taken what was there.
        assert!(tap.put(6, record("6")));
        assert_eq!(drain(&mut receiver, &mut got), 1);
    }

    #[test]
    fn a_stopped_sender_drops_instead_of_blocking() {
        let (tap, receiver) = queue(10);
        drop(receiver);
        assert!(!tap.put(1, record("1")));
        assert_eq!(tap.counters.dropped.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn every_stream_gets_each_record() {
        let (a, mut ra) = queue(10);
        let (b, mut rb) = queue(1);
        let fan = FanOut(vec![a, b.clone()]);
        fan.recorded(1, record("1"));
        fan.recorded(2, record("2"));
        let (mut ga, mut gb) = (Vec::new(), Vec::new());
        assert_eq!(drain(&mut ra, &mut ga), 2);
        assert_eq!(drain(&mut rb, &mut gb), 1);
        assert_eq!(gb[0].1.id, "1");
        assert_eq!(b.counters.dropped.load(Ordering::Relaxed), 1);
    }
}
