//! The records the queue gave a sender that it has not sent yet, by
//! position. The sender sends the run that follows its cursor without a
//! gap; a gap that is still there a round later (a record dropped from a
//! full queue, written by another process or node, or one whose decision
//! has not reached the queue yet) sends it to the store instead.

use super::queue::Entry;

#[derive(Debug)]
pub struct Held {
    entries: Vec<Entry>,
    /// The cursor at which a gap was seen in the round before.
    gap: Option<i64>,
    /// The most kept: past it the store has them.
    cap: usize,
}

impl Held {
    pub fn new(cap: usize) -> Self {
        Self {
            entries: Vec::new(),
            gap: None,
            cap: cap.max(1),
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn clear(&mut self) {
        self.entries.clear();
        self.gap = None;
    }

    /// Adds what the queue gave (in any order), keeping what follows
    /// `cursor` once each, in position order, at most `cap` of them.
    pub fn take(&mut self, fresh: Vec<Entry>, cursor: i64) {
        if self.entries.is_empty() {
            self.entries = fresh;
        } else {
            self.entries.extend(fresh);
        }
        // Mostly in order already; out of order only across racing tasks.
        if !self.entries.is_sorted_by_key(|(seq, _)| *seq) {
            self.entries.sort_unstable_by_key(|(seq, _)| *seq);
        }
        self.entries.dedup_by_key(|(seq, _)| *seq);
        self.forget_through(cursor);
        self.entries.truncate(self.cap);
    }

    /// Drops what the cursor has passed (sent from the store meanwhile).
    pub fn forget_through(&mut self, cursor: i64) {
        let sent = self.entries.partition_point(|(seq, _)| *seq <= cursor);
        self.entries.drain(..sent);
    }

    /// Takes the run that follows `cursor` without a gap (maybe empty).
    pub fn run(&mut self, cursor: i64) -> Vec<Entry> {
        let n = self
            .entries
            .iter()
            .zip(cursor + 1..)
            .take_while(|((seq, _), expected)| seq == expected)
            .count();
        if n == self.entries.len() {
            std::mem::take(&mut self.entries)
        } else {
            self.entries.drain(..n).collect()
        }
    }

    /// True when records wait behind a gap after `cursor` that was already
    /// there the round before: the store is read for what is missing.
    pub fn stuck(&mut self, cursor: i64) -> bool {
        let gap = self
            .entries
            .first()
            .is_some_and(|(seq, _)| *seq != cursor + 1);
        if !gap {
            self.gap = None;
            return false;
        }
        if self.gap == Some(cursor) {
            self.gap = None;
            return true;
        }
        self.gap = Some(cursor);
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use countersign_domain::AuditRecord;

    fn entries(seqs: &[i64]) -> Vec<Entry> {
        seqs.iter()
            .map(|&seq| {
                let record = AuditRecord {
                    id: format!("aud_{seq}"),
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
                };
                (seq, record)
            })
            .collect()
    }

    fn seqs(batch: &[Entry]) -> Vec<i64> {
        batch.iter().map(|(s, _)| *s).collect()
    }

    #[test]
    fn the_run_after_the_cursor_goes_in_order_and_the_rest_waits() {
        let mut held = Held::new(100);
        held.take(entries(&[7, 5, 6, 9, 10]), 4);
        let run = held.run(4);
        assert_eq!(seqs(&run), [5, 6, 7]);
        assert_eq!(run[0].1.id, "aud_5");
        assert_eq!(held.len(), 2);
        // 8 arrives late (its task ran after its neighbours'): all goes.
        held.take(entries(&[8, 11]), 7);
        assert_eq!(seqs(&held.run(7)), [8, 9, 10, 11]);
        assert_eq!(held.len(), 0);
    }

    #[test]
    fn what_the_cursor_passed_is_dropped_once_each() {
        let mut held = Held::new(100);
        held.take(entries(&[3, 4, 5, 5, 6]), 4);
        assert_eq!(seqs(&held.run(4)), [5, 6]);
        held.take(entries(&[7, 8, 9]), 4);
        held.forget_through(8);
        assert_eq!(seqs(&held.run(8)), [9]);
    }

    #[test]
    fn a_gap_goes_to_the_store_only_when_it_stays_a_round() {
        let mut held = Held::new(100);
        held.take(entries(&[6, 7]), 4);
        assert!(held.run(4).is_empty());
        assert!(
            !held.stuck(4),
            "the first round may be a task still on its way"
        );
        held.take(entries(&[8]), 4);
        assert!(held.stuck(4), "the same gap a round later");
        // A gap filled in between is forgotten.
        held.take(entries(&[5]), 4);
        assert!(!held.stuck(4));
        assert_eq!(seqs(&held.run(4)), [5, 6, 7, 8]);
        assert!(!held.stuck(8));
    }

    #[test]
    fn past_the_cap_the_newest_are_left_to_the_store() {
        let mut held = Held::new(3);
        held.take(entries(&[5, 6, 7, 8, 9]), 4);
        assert_eq!(seqs(&held.run(4)), [5, 6, 7]);
        held.take(entries(&[10]), 7);
        assert!(held.run(7).is_empty(), "8 and 9 are in the store only");
    }
}
