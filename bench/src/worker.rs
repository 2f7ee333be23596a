//! A worker: sends verifications for the users it owns, one at a time,
//! either as fast as answers come back (closed loop) or at scheduled times
//! (open loop, --rate).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use rand::rngs::StdRng;
use rand::SeedableRng;
use reqwest::Url;
use tokio::time::Instant;

use crate::client::{Answer, Api};
use crate::codes::{send_wrong, BenchUser};
use crate::tally::Tally;

/// What every worker shares: where to send, the mix, and when to stop.
#[derive(Debug)]
pub struct Plan {
    pub api: Api,
    pub verify_url: Url,
    pub invalid_ratio: f64,
    pub max_invalid_streak: u32,
    pub started: Instant,
    pub deadline: Instant,
    /// Request slots handed out so far; slot n of an open-loop run is due at n / rate.
    pub slots: AtomicU64,
    pub max_requests: Option<u64>,
    pub rate: Option<f64>,
}

impl Plan {
    /// When the next request starts, for measuring its latency (None: the
    /// run is over). In an open-loop run, a request whose slot came due while
    /// every worker was busy counts from its due time, so a server that falls
    /// behind is charged for the wait (no coordinated omission); one that is
    /// waited for counts from the wake-up, so timer granularity is not charged.
    async fn next_start(&self) -> Option<Instant> {
        let slot = self.slots.fetch_add(1, Ordering::Relaxed);
        if self.max_requests.is_some_and(|max| slot >= max) {
            return None;
        }
        let now = Instant::now();
        let Some(rate) = self.rate else {
            return (now < self.deadline).then_some(now);
        };
        let due = self.started + Duration::from_secs_f64(slot as f64 / rate);
        if due >= self.deadline {
            return None;
        }
        if due <= now {
            return Some(due);
        }
        tokio::time::sleep_until(due).await;
        Some(Instant::now())
    }
}

pub async fn run(plan: Arc<Plan>, mut users: Vec<BenchUser>, seed: u64) -> Result<Tally> {
    let mut tally = Tally::new()?;
    let mut rng = StdRng::seed_from_u64(seed);
    let (mut turn, owned) = (0usize, users.len().max(1));
    while let Some(start) = plan.next_start().await {
        let Some(user) = users.get_mut(turn % owned) else {
            break;
        };
        turn += 1;
        let wrong = send_wrong(user, plan.invalid_ratio, plan.max_invalid_streak, &mut rng);
        let code = if wrong {
            user.wrong_code(&mut rng)
        } else {
            user.take_valid_code()
        };
        let answer = plan.api.verify(&plan.verify_url, &user.name, &code).await;
        tally.record(wrong, &answer, start.elapsed());
        match answer {
            Answer::Accepted => user.streak = 0,
            _ if wrong => user.streak += 1,
            _ => {}
        }
    }
    Ok(tally)
}

/// Deals users to workers: worker w owns users w, w + n, w + 2n, ...
pub fn deal(users: Vec<BenchUser>, workers: usize) -> Vec<Vec<BenchUser>> {
    let mut hands: Vec<Vec<BenchUser>> = (0..workers).map(|_| Vec::new()).collect();
    for (i, user) in users.into_iter().enumerate() {
        if let Some(hand) = hands.get_mut(i % workers.max(1)) {
            hand.push(user);
        }
    }
    hands
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_are_dealt_disjointly() {
        let users: Vec<BenchUser> = (0..10).map(|i| BenchUser::new("t", i)).collect();
        let hands = deal(users, 3);
        assert_eq!(
            hands.iter().map(Vec::len).collect::<Vec<_>>(),
            vec![4, 3, 3]
        );
        assert_eq!(hands[1][1].name, "bench-t-4");
    }
}
