//! What a worker counted: requests by kind, answers by outcome, latencies.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::{Context, Result};
use hdrhistogram::Histogram;

use crate::client::Answer;

/// Latencies are kept in microseconds, from 1 µs to 60 s, to 3 significant digits.
const HIGHEST_MICROS: u64 = 60_000_000;

#[derive(Debug, Clone)]
pub struct Tally {
    pub valid_sent: u64,
    pub invalid_sent: u64,
    pub accepted: u64,
    /// Valid codes that came back rejected (a bug, unless the run raced something).
    pub valid_rejected: u64,
    /// Wrong codes that came back accepted (always a bug).
    pub invalid_accepted: u64,
    pub rejected: BTreeMap<String, u64>,
    pub http_errors: BTreeMap<u16, u64>,
    pub transport_errors: BTreeMap<String, u64>,
    pub latency: Histogram<u64>,
}

impl Tally {
    pub fn new() -> Result<Self> {
        Ok(Self {
            valid_sent: 0,
            invalid_sent: 0,
            accepted: 0,
            valid_rejected: 0,
            invalid_accepted: 0,
            rejected: BTreeMap::new(),
            http_errors: BTreeMap::new(),
            transport_errors: BTreeMap::new(),
            latency: Histogram::new_with_bounds(1, HIGHEST_MICROS, 3)
                .context("cannot make a latency histogram")?,
        })
    }

    pub fn record(&mut self, wrong_code: bool, answer: &Answer, latency: Duration) {
        if wrong_code {
            self.invalid_sent += 1;
        } else {
            self.valid_sent += 1;
        }
        match answer {
            Answer::Accepted => {
                self.accepted += 1;
                if wrong_code {
                    self.invalid_accepted += 1;
                }
            }
            Answer::Rejected(reason) => {
                *self.rejected.entry(reason.clone()).or_default() += 1;
                if !wrong_code {
                    self.valid_rejected += 1;
                }
            }
            Answer::Http(status) => *self.http_errors.entry(*status).or_default() += 1,
            Answer::Transport(kind) => {
                *self
                    .transport_errors
                    .entry((*kind).to_string())
                    .or_default() += 1
            }
        }
        let micros = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        self.latency
            .saturating_record(micros.clamp(1, HIGHEST_MICROS));
    }

    pub fn merge(&mut self, other: Tally) -> Result<()> {
        self.valid_sent += other.valid_sent;
        self.invalid_sent += other.invalid_sent;
        self.accepted += other.accepted;
        self.valid_rejected += other.valid_rejected;
        self.invalid_accepted += other.invalid_accepted;
        add_all(&mut self.rejected, other.rejected);
        add_all(&mut self.http_errors, other.http_errors);
        add_all(&mut self.transport_errors, other.transport_errors);
        self.latency
            .add(&other.latency)
            .context("cannot merge latency histograms")?;
        Ok(())
    }

    pub fn total(&self) -> u64 {
        self.valid_sent + self.invalid_sent
    }

    /// Every sign that the server got something wrong, in words.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.accepted < self.valid_sent {
            problems.push(format!(
                "accepted {} < valid codes sent {}: {} valid codes were not accepted ({} rejected, the rest HTTP or transport errors)",
                self.accepted,
                self.valid_sent,
                self.valid_sent - self.accepted.min(self.valid_sent),
                self.valid_rejected
            ));
        }
        if self.invalid_accepted > 0 {
            problems.push(format!(
                "{} wrong codes were accepted",
                self.invalid_accepted
            ));
        }
        problems
    }
}

fn add_all<K: Ord>(into: &mut BTreeMap<K, u64>, from: BTreeMap<K, u64>) {
    for (key, count) in from {
        *into.entry(key).or_default() += count;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_merge_and_flag_problems() {
        let mut a = Tally::new().expect("tally");
        a.record(false, &Answer::Accepted, Duration::from_micros(900));
        a.record(
            true,
            &Answer::Rejected("code_invalid".into()),
            Duration::from_millis(2),
        );
        let mut b = Tally::new().expect("tally");
        b.record(false, &Answer::Http(500), Duration::from_millis(1));
        b.record(
            false,
            &Answer::Transport("timeout"),
            Duration::from_secs(10),
        );
        a.merge(b).expect("merge");
        assert_eq!((a.total(), a.valid_sent, a.accepted), (4, 3, 1));
        assert_eq!(a.rejected.get("code_invalid"), Some(&1));
        assert_eq!(a.http_errors.get(&500), Some(&1));
        assert_eq!(a.latency.len(), 4);
        assert_eq!(a.problems().len(), 1);
    }
}
