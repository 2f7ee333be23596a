//! Cross-checks `hotp` and `totp` against the reference implementation in
//! OATH Toolkit's `oathtool`, for random seeds, all algorithms and 6 and 8
//! digits. Each oathtool call prints a window of consecutive codes, so one
//! process checks several counters or time steps.
//!
//! The random cases are reproducible: a failure prints the RNG seed; rerun
//! with `OATHTOOL_TEST_SEED=<seed>`.

use std::process::Command;
use std::thread;

use countersign_otp::{hotp, totp, Algorithm};
use rand::rngs::{OsRng, StdRng};
use rand::{Rng, RngCore, SeedableRng};

const SEEDS: usize = 1000;
const ALGORITHMS: [Algorithm; 3] = [Algorithm::Sha1, Algorithm::Sha256, Algorithm::Sha512];
const DIGITS: [u32; 2] = [6, 8];
/// oathtool prints the code for the counter (or time) and WINDOW more.
const HOTP_WINDOW: u64 = 4;
const TOTP_WINDOW: u64 = 2;
/// Latest time tried, about year 3000: past 2038 and 2106 (32-bit limits).
const MAX_TIME: u64 = 1 << 35;

struct Case {
    seed: Vec<u8>,
    algorithm: Algorithm,
    digits: u32,
    counter: u64,
    time: u64,
    period: u64,
}

#[test]
fn hotp_and_totp_agree_with_oathtool() {
    require_oathtool();
    let rng_seed = std::env::var("OATHTOOL_TEST_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| OsRng.next_u64());
    let cases = random_cases(rng_seed);
    let threads = thread::available_parallelism().map_or(2, |n| n.get() * 2);
    let chunk = cases.len().div_ceil(threads);
    let failures: Vec<String> = thread::scope(|scope| {
        let workers: Vec<_> = cases
            .chunks(chunk)
            .map(|chunk| scope.spawn(move || chunk.iter().flat_map(check_case).collect::<Vec<_>>()))
            .collect();
        workers
            .into_iter()
            .flat_map(|worker| worker.join().expect("a checking thread panicked"))
            .collect()
    });
    assert!(
        failures.is_empty(),
        "{} codes in {} cases disagree with oathtool (rerun with OATHTOOL_TEST_SEED={rng_seed}); first ones:\n{}",
        failures.len(),
        cases.len(),
        failures.iter().take(10).cloned().collect::<Vec<_>>().join("\n")
    );
}

fn require_oathtool() {
    match Command::new("oathtool").arg("--version").output() {
        Ok(out) if out.status.success() => {}
        Ok(out) => panic!(
            "`oathtool --version` failed ({}): install oathtool (scripts/test installs it)",
            out.status
        ),
        Err(err) => {
            panic!("cannot run oathtool ({err}): install oathtool (scripts/test installs it)")
        }
    }
}

fn random_cases(rng_seed: u64) -> Vec<Case> {
    let mut rng = StdRng::seed_from_u64(rng_seed);
    let mut cases = Vec::with_capacity(SEEDS * ALGORITHMS.len() * DIGITS.len());
    for _ in 0..SEEDS {
        let mut seed = vec![0u8; rng.gen_range(10..=64)];
        rng.fill_bytes(&mut seed);
        for algorithm in ALGORITHMS {
            for digits in DIGITS {
                // oathtool's --hotp mode is SHA-1 only; the others go through
                // TOTP with 1 s steps, where the time is the counter.
                let max_counter = match algorithm {
                    Algorithm::Sha1 => u64::MAX - HOTP_WINDOW,
                    _ => MAX_TIME,
                };
                let period = if rng.gen_bool(0.5) {
                    30
                } else {
                    rng.gen_range(1..=300)
                };
                cases.push(Case {
                    seed: seed.clone(),
                    algorithm,
                    digits,
                    counter: rng.gen_range(0..=max_counter),
                    time: rng.gen_range(0..=MAX_TIME),
                    period,
                });
            }
        }
    }
    cases
}

/// Returns a description of every disagreement in this case.
fn check_case(case: &Case) -> Vec<String> {
    let mut failures = Vec::new();
    let hotp_codes = oathtool(&hotp_args(case));
    for (i, theirs) in hotp_codes.iter().enumerate() {
        let counter = case.counter + i as u64;
        let ours = hotp(&case.seed, counter, case.digits, case.algorithm);
        if &ours != theirs {
            failures.push(describe(
                case,
                &format!("hotp counter {counter}"),
                &ours,
                theirs,
            ));
        }
    }
    let totp_codes = oathtool(&totp_args(case, case.time, case.period, TOTP_WINDOW));
    for (i, theirs) in totp_codes.iter().enumerate() {
        let time = case.time + i as u64 * case.period;
        let ours = totp(&case.seed, time, case.period, case.digits, case.algorithm);
        if &ours != theirs {
            let what = format!("totp time {time} period {}", case.period);
            failures.push(describe(case, &what, &ours, theirs));
        }
    }
    let lines = (hotp_codes.len(), totp_codes.len());
    if lines != (HOTP_WINDOW as usize + 1, TOTP_WINDOW as usize + 1) {
        failures.push(format!(
            "oathtool printed {lines:?} codes for seed {}",
            hex(&case.seed)
        ));
    }
    failures
}

fn hotp_args(case: &Case) -> Vec<String> {
    match case.algorithm {
        Algorithm::Sha1 => vec![
            "--hotp".into(),
            format!("--digits={}", case.digits),
            format!("--counter={}", case.counter),
            format!("--window={HOTP_WINDOW}"),
            hex(&case.seed),
        ],
        _ => totp_args(case, case.counter, 1, HOTP_WINDOW),
    }
}

fn totp_args(case: &Case, time: u64, period: u64, window: u64) -> Vec<String> {
    vec![
        format!("--totp={}", case.algorithm),
        format!("--digits={}", case.digits),
        format!("--time-step-size={period}s"),
        format!("--now=@{time}"),
        format!("--window={window}"),
        hex(&case.seed),
    ]
}

/// Runs oathtool and returns the codes it printed, one per line.
fn oathtool(args: &[String]) -> Vec<String> {
    let out = Command::new("oathtool")
        .args(args)
        .output()
        .unwrap_or_else(|err| panic!("cannot run oathtool {args:?}: {err}"));
    assert!(
        out.status.success(),
        "oathtool {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

fn describe(case: &Case, what: &str, ours: &str, theirs: &str) -> String {
    format!(
        "{} {} digits, seed {}, {what}: ours {ours}, oathtool {theirs}",
        case.algorithm,
        case.digits,
        hex(&case.seed)
    )
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
