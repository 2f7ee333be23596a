//! Bench users with known HOTP secrets: the next valid code, a surely wrong
//! code, and when a worker may send a wrong one without locking the user out.

use countersign_otp::{hotp, Algorithm};
use rand::rngs::StdRng;
use rand::{Rng, RngCore, SeedableRng};

pub const DIGITS: u32 = 6;
const SECRET_BYTES: usize = 20;
/// A wrong code must match no counter this far either side of the next one
/// (the server looks 10 ahead by default and calls earlier ones reused).
const WRONG_CODE_MARGIN: u64 = 32;

/// One bench user as a worker sees it: its token's seed and next counter.
#[derive(Debug, Clone)]
pub struct BenchUser {
    pub name: String,
    pub secret: Vec<u8>,
    /// The counter of the next valid code.
    pub counter: u64,
    /// Wrong codes sent since the last accepted one.
    pub streak: u32,
}

impl BenchUser {
    pub fn new(run_id: &str, index: usize) -> Self {
        let name = username(run_id, index);
        let secret = secret_for(&name);
        Self {
            name,
            secret,
            counter: 0,
            streak: 0,
        }
    }

    /// The code for the next counter; the counter moves on whatever the answer.
    pub fn take_valid_code(&mut self) -> String {
        let code = hotp(&self.secret, self.counter, DIGITS, Algorithm::Sha1);
        self.counter += 1;
        code
    }

    /// A six-digit code that matches no counter near the next one.
    pub fn wrong_code(&self, rng: &mut impl Rng) -> String {
        let low = self.counter.saturating_sub(WRONG_CODE_MARGIN);
        let near: Vec<String> = (low..=self.counter + WRONG_CODE_MARGIN)
            .map(|c| hotp(&self.secret, c, DIGITS, Algorithm::Sha1))
            .collect();
        loop {
            let code = format!("{:06}", rng.gen_range(0..1_000_000u32));
            if !near.contains(&code) {
                return code;
            }
        }
    }
}

pub fn username(run_id: &str, index: usize) -> String {
    format!("bench-{run_id}-{index}")
}

/// The seed of a bench user's token, derived from its name so that a later
/// run can reuse the users (`--run-id` without `--setup`). Bench only: these
/// seeds are predictable by design.
pub fn secret_for(name: &str) -> Vec<u8> {
    let mut rng = StdRng::seed_from_u64(fnv1a(name.as_bytes()));
    let mut secret = vec![0u8; SECRET_BYTES];
    rng.fill_bytes(&mut secret);
    secret
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, b| {
        (hash ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Whether the next request for `user` carries a wrong code: with
/// probability `ratio`, but never more than `max_streak` in a row, so that a
/// valid code resets the server's failure count before it locks the user.
/// A ratio of 1.0 sends only wrong codes (the server then needs a high
/// COUNTERSIGN_VERIFY_LOCKOUT_THRESHOLD).
pub fn send_wrong(user: &BenchUser, ratio: f64, max_streak: u32, rng: &mut impl Rng) -> bool {
    if ratio >= 1.0 {
        return true;
    }
    user.streak < max_streak && rng.gen_bool(ratio.max(0.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_codes_follow_the_counter() {
        let mut user = BenchUser::new("t", 1);
        let first = hotp(&user.secret, 0, DIGITS, Algorithm::Sha1);
        assert_eq!(user.take_valid_code(), first);
        assert_eq!(user.counter, 1);
    }

    #[test]
    fn wrong_codes_match_no_nearby_counter() {
        let user = BenchUser::new("t", 2);
        let mut rng = StdRng::seed_from_u64(7);
        for _ in 0..200 {
            let code = user.wrong_code(&mut rng);
            assert_eq!(code.len(), 6);
            assert!((0..=WRONG_CODE_MARGIN).all(|c| hotp(
                &user.secret,
                c,
                DIGITS,
                Algorithm::Sha1
            ) != code));
        }
    }

    #[test]
    fn secrets_are_stable_and_distinct() {
        assert_eq!(secret_for("bench-a-1"), secret_for("bench-a-1"));
        assert_ne!(secret_for("bench-a-1"), secret_for("bench-a-2"));
    }

    #[test]
    fn streaks_are_capped() {
        let mut user = BenchUser::new("t", 3);
        let mut rng = StdRng::seed_from_u64(1);
        user.streak = 5;
        assert!(!send_wrong(&user, 0.99, 5, &mut rng));
        assert!(send_wrong(&user, 1.0, 5, &mut rng));
        user.streak = 0;
        assert!(!send_wrong(&user, 0.0, 5, &mut rng));
    }
}
