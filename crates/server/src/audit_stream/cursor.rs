//! The stream's cursor: the position (`seq`) of the last record sent.
//! Records are sent in position order without holes. On PostgreSQL two
//! decisions can commit out of order, so a hole may be a record still
//! committing: the sender waits for it, and only a hole older than `wait`
//! (a rolled back insert, a sequence jump after a crash, pruned records)
//! is passed over. On SQLite commits are in order and `wait` is zero.

use std::time::{Duration, Instant};

#[derive(Debug)]
pub struct Cursor {
    /// The last position sent.
    pub at: i64,
    wait: Duration,
    /// The first missing position and when it was first seen missing.
    hole: Option<(i64, Instant)>,
}

impl Cursor {
    pub fn new(at: i64, wait: Duration) -> Self {
        Self {
            at,
            wait,
            hole: None,
        }
    }

    /// Of `seqs` (ascending, all after the cursor), how many may be sent
    /// now: those up to the first hole that is still young.
    pub fn ready(&mut self, seqs: &[i64], now: Instant) -> usize {
        let mut expected = self.at + 1;
        for (i, &seq) in seqs.iter().enumerate() {
            if seq == expected {
                expected += 1;
                continue;
            }
            match self.hole {
                Some((hole, since))
                    if hole == expected && now.duration_since(since) >= self.wait =>
                {
                    self.hole = None;
                    expected = seq + 1;
                }
                Some((hole, _)) if hole == expected => return i,
                _ => {
                    self.hole = Some((expected, now));
                    if self.wait.is_zero() {
                        self.hole = None;
                        expected = seq + 1;
                        continue;
                    }
                    return i;
                }
            }
        }
        seqs.len()
    }

    /// The records up to `seq` were delivered.
    pub fn advance(&mut self, seq: i64) {
        if seq > self.at {
            self.at = seq;
        }
        if self.hole.is_some_and(|(hole, _)| hole <= seq) {
            self.hole = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WAIT: Duration = Duration::from_secs(10);

    #[test]
    fn runs_without_holes_are_ready() {
        let mut c = Cursor::new(4, WAIT);
        assert_eq!(c.ready(&[5, 6, 7], Instant::now()), 3);
    }

    #[test]
    fn a_young_hole_holds_back_what_follows_until_it_fills() {
        let t = Instant::now();
        let mut c = Cursor::new(4, WAIT);
        assert_eq!(c.ready(&[5, 7, 8], t), 1);
        c.advance(5);
        assert_eq!(c.ready(&[7, 8], t + Duration::from_secs(1)), 0);
        // The late commit arrives: everything goes.
        assert_eq!(c.ready(&[6, 7, 8], t + Duration::from_secs(2)), 3);
    }

    #[test]
    fn an_old_hole_is_passed_over() {
        let t = Instant::now();
        let mut c = Cursor::new(4, WAIT);
        assert_eq!(c.ready(&[6, 7], t), 0);
        assert_eq!(c.ready(&[6, 7], t + Duration::from_secs(9)), 0);
        assert_eq!(c.ready(&[6, 7], t + WAIT), 2);
    }

    #[test]
    fn a_second_hole_waits_its_own_time() {
        let t = Instant::now();
        let mut c = Cursor::new(0, WAIT);
        assert_eq!(c.ready(&[2, 4], t), 0);
        assert_eq!(c.ready(&[2, 4], t + WAIT), 1);
        c.advance(2);
        assert_eq!(c.ready(&[4], t + WAIT), 0);
        assert_eq!(c.ready(&[4], t + WAIT + WAIT), 1);
    }

    #[test]
    fn without_a_wait_holes_are_passed_at_once() {
        let mut c = Cursor::new(0, Duration::ZERO);
        assert_eq!(c.ready(&[3, 9, 10], Instant::now()), 3);
    }
}
