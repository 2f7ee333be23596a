//! Which counter or time step a submitted code belongs to. Pure: the
//! Verifier makes the result stick with a compare-and-set in the store.

use countersign_otp::{code_matches, hotp, Kind};

use crate::model::token::StoredToken;

/// How far around the expected value codes are looked for.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    /// TOTP: steps accepted either side of the expected one.
    pub totp_steps: u32,
    /// HOTP: counters accepted after the expected one.
    pub hotp_lookahead: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Match {
    /// Matches a counter or step later than the last accepted one.
    Fresh {
        used: i64,
        drift: i64,
    },
    /// Matches the last accepted counter or step, or an earlier one.
    Reused,
    NoMatch,
}

pub fn find(token: &StoredToken, secret: &[u8], code: &str, now: i64, window: Window) -> Match {
    match token.kind {
        Kind::Totp => find_totp(token, secret, code, now, window.totp_steps),
        Kind::Hotp => find_hotp(token, secret, code, window.hotp_lookahead),
        Kind::Yubico => find_yubico(token, secret, code),
    }
}

/// A Yubico OTP matches when its public id is the token's serial, its
/// block opens with the key (CRC), and it carries the private id; it is
/// fresh when its (usage, session) counter is past the last one accepted.
fn find_yubico(token: &StoredToken, secret: &[u8], code: &str) -> Match {
    use countersign_otp::yubico;
    let (Some((public, block)), Some(serial)) = (yubico::split(code), &token.serial) else {
        return Match::NoMatch;
    };
    let (Ok(key), Some(private_id)) = (
        <[u8; 16]>::try_from(secret.get(..16).unwrap_or_default()),
        secret.get(16..),
    ) else {
        return Match::NoMatch;
    };
    if !public.eq_ignore_ascii_case(serial) {
        return Match::NoMatch;
    }
    match yubico::open(&key, &block) {
        Some(opened) if yubico::same_private_id(&opened.private_id, private_id) => {
            if opened.counter() > token.last_used {
                Match::Fresh {
                    used: opened.counter(),
                    drift: 0,
                }
            } else {
                Match::Reused
            }
        }
        _ => Match::NoMatch,
    }
}

fn find_totp(token: &StoredToken, secret: &[u8], code: &str, now: i64, steps: u32) -> Match {
    let period = token.period.max(1) as i64;
    let current = now.max(0) / period;
    let center = current + token.drift;
    let mut reused = false;
    // Nearest steps first: 0, -1, +1, -2, +2, ...
    for distance in 0..=i64::from(steps) {
        for step in [center - distance, center + distance] {
            if step < 0 || !matches_at(token, secret, code, step) {
                continue;
            }
            if step > token.last_used {
                return Match::Fresh {
                    used: step,
                    drift: step - current,
                };
            }
            reused = true;
        }
    }
    if reused {
        Match::Reused
    } else {
        Match::NoMatch
    }
}

fn find_hotp(token: &StoredToken, secret: &[u8], code: &str, lookahead: u32) -> Match {
    let next = token.last_used + 1;
    let ahead = i64::from(lookahead);
    if let Some(used) = (next..=next + ahead).find(|c| matches_at(token, secret, code, *c)) {
        return Match::Fresh { used, drift: 0 };
    }
    let earliest = (next - ahead).max(0);
    if (earliest..next).any(|c| matches_at(token, secret, code, c)) {
        return Match::Reused;
    }
    Match::NoMatch
}

fn matches_at(token: &StoredToken, secret: &[u8], code: &str, counter: i64) -> bool {
    let expected = hotp(secret, counter as u64, token.digits, token.algorithm);
    code_matches(&expected, code)
}

/// The counter `c` for which `first` and `second` are the codes of `c` and
/// `c + 1`, searched from the token's next counter up to `search` ahead.
pub fn resync_hotp(
    token: &StoredToken,
    secret: &[u8],
    first: &str,
    second: &str,
    search: u32,
) -> Option<i64> {
    let next = token.last_used + 1;
    (next..=next + i64::from(search))
        .find(|c| matches_at(token, secret, first, *c) && matches_at(token, secret, second, c + 1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use countersign_otp::Algorithm;

    const SECRET: &[u8] = b"12345678901234567890";

    fn token(kind: Kind, last_used: i64, drift: i64) -> StoredToken {
        StoredToken {
            id: "tok_t".into(),
            user_id: "usr_u".into(),
            kind,
            algorithm: Algorithm::Sha1,
            digits: 6,
            period: 30,
            last_used,
            drift,
            sealed_secret: vec![],
            created_at: 0,
            last_used_at: None,
            serial: None,
            issuer: None,
        }
    }

    const WINDOW: Window = Window {
        totp_steps: 1,
        hotp_lookahead: 10,
    };

    #[test]
    fn hotp_accepts_inside_lookahead_and_flags_reuse() {
        // RFC 4226 Appendix D: counter 3 -> 969429, counter 9 -> 520489.
        let t = token(Kind::Hotp, -1, 0);
        assert_eq!(
            find(&t, SECRET, "969429", 0, WINDOW),
            Match::Fresh { used: 3, drift: 0 }
        );
        let t = token(Kind::Hotp, 3, 0);
        assert_eq!(find(&t, SECRET, "969429", 0, WINDOW), Match::Reused);
        assert_eq!(
            find(&t, SECRET, "520489", 0, WINDOW),
            Match::Fresh { used: 9, drift: 0 }
        );
        assert_eq!(find(&t, SECRET, "000000", 0, WINDOW), Match::NoMatch);
        let narrow = Window {
            totp_steps: 1,
            hotp_lookahead: 2,
        };
        assert_eq!(
            find(&token(Kind::Hotp, -1, 0), SECRET, "520489", 0, narrow),
            Match::NoMatch
        );
    }

    #[test]
    fn totp_window_drift_and_replay() {
        let now = 59; // step 1
        let t = token(Kind::Totp, -1, 0);
        let code = |step: u64| hotp(SECRET, step, 6, Algorithm::Sha1);
        assert_eq!(
            find(&t, SECRET, &code(1), now, WINDOW),
            Match::Fresh { used: 1, drift: 0 }
        );
        assert_eq!(
            find(&t, SECRET, &code(2), now, WINDOW),
            Match::Fresh { used: 2, drift: 1 }
        );
        assert_eq!(find(&t, SECRET, &code(3), now, WINDOW), Match::NoMatch);
        let used = token(Kind::Totp, 1, 0);
        assert_eq!(find(&used, SECRET, &code(1), now, WINDOW), Match::Reused);
        assert_eq!(find(&used, SECRET, &code(0), now, WINDOW), Match::Reused);
        let drifted = token(Kind::Totp, -1, 2);
        assert_eq!(
            find(&drifted, SECRET, &code(3), now, WINDOW),
            Match::Fresh { used: 3, drift: 2 }
        );
    }

    #[test]
    fn resync_finds_two_consecutive_codes() {
        let t = token(Kind::Hotp, -1, 0);
        let code = |c: u64| hotp(SECRET, c, 6, Algorithm::Sha1);
        assert_eq!(resync_hotp(&t, SECRET, &code(50), &code(51), 100), Some(50));
        assert_eq!(resync_hotp(&t, SECRET, &code(50), &code(52), 100), None);
        assert_eq!(resync_hotp(&t, SECRET, &code(150), &code(151), 100), None);
    }
}
