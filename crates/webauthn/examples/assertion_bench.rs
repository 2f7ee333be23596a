//! Assertion verifications per second on one core, for the assertions made
//! ahead by Python fido2 in tests/vectors/vectors.json: parse the
//! AuthenticationResponseJSON, check client data and authenticator data,
//! verify the signature, check the counter. Registrations too, for scale.
//!
//! cargo run --release -p countersign-webauthn --example assertion_bench [seconds]

use std::time::{Duration, Instant};

use countersign_webauthn::{
    parse, AuthenticationResponse, Challenge, Credential, Policy, RegistrationResponse,
    RelyingParty,
};
use serde_json::Value;

const VECTORS: &str = include_str!("../tests/vectors/vectors.json");

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

fn case<'a>(doc: &'a Value, list: &str, name: &str) -> Result<&'a Value> {
    doc[list]
        .as_array()
        .and_then(|l| l.iter().find(|c| c["name"] == name))
        .ok_or_else(|| format!("no {list} vector {name}").into())
}

fn challenge(case: &Value) -> Result<Challenge> {
    let text = case["challenge"].as_str().ok_or("no challenge")?;
    Ok(Challenge::from_bytes(&parse::base64url_decode(
        text,
        "challenge",
    )?)?)
}

/// This thread's time on a CPU (Linux schedstat, nanoseconds), if readable.
fn cpu_ns() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    text.split_whitespace().next()?.parse().ok()
}

/// Runs `f` for `secs` seconds on this thread; answers runs per second of
/// wall time and per second of this thread's CPU time (the one-core rate,
/// whatever else the machine runs).
fn rate(secs: f64, mut f: impl FnMut() -> Result<()>) -> Result<(f64, Option<f64>)> {
    let budget = Duration::from_secs_f64(secs);
    let (start, cpu_start) = (Instant::now(), cpu_ns());
    let mut n = 0u64;
    while start.elapsed() < budget {
        for _ in 0..100 {
            f()?;
        }
        n += 100;
    }
    let wall = n as f64 / start.elapsed().as_secs_f64();
    let cpu = match (cpu_start, cpu_ns()) {
        (Some(a), Some(b)) if b > a => Some(n as f64 * 1e9 / (b - a) as f64),
        _ => None,
    };
    Ok((wall, cpu))
}

fn report(what: &str, (wall, cpu): (f64, Option<f64>)) {
    let cpu = cpu.map_or("-".to_owned(), |c| {
        format!("{c:.0}/s per CPU-second ({:.1} µs CPU each)", 1e6 / c)
    });
    println!("{what:<28} {wall:>7.0}/s wall, {cpu}");
}

fn registered(rp: &RelyingParty, doc: &Value, name: &str) -> Result<Credential> {
    let reg = case(doc, "registrations", name)?;
    let response = RegistrationResponse::from_json(&reg["response"].to_string())?;
    Ok(rp.verify_registration(&response, &challenge(reg)?)?)
}

fn main() -> Result<()> {
    let secs: f64 = std::env::args().nth(1).map_or(Ok(3.0), |s| s.parse())?;
    let doc: Value = serde_json::from_str(VECTORS)?;
    let origins: Vec<String> = serde_json::from_value(doc["origins"].clone())?;
    let rp_id = doc["rp_id"].as_str().ok_or("no rp_id")?;
    let rp = RelyingParty::new(rp_id, "Countersign", &origins, Policy::default())?;
    println!("one thread, {secs} s per line; assertions as JSON text, parsed each time");
    for alg in ["es256", "eddsa", "rs256"] {
        let credential = registered(&rp, &doc, &format!("{alg}_none"))?;
        let assertion = case(&doc, "authentications", &format!("{alg}_ok"))?;
        let json = assertion["response"].to_string();
        let chal = challenge(assertion)?;
        let rates = rate(secs, || {
            let response = AuthenticationResponse::from_json(&json)?;
            rp.verify_authentication(&response, &chal, &credential, None)?;
            Ok(())
        })?;
        report(&format!("{alg} assertions"), rates);
    }
    let reg = case(&doc, "registrations", "es256_none")?;
    let (json, chal) = (reg["response"].to_string(), challenge(reg)?);
    let rates = rate(secs, || {
        rp.verify_registration(&RegistrationResponse::from_json(&json)?, &chal)?;
        Ok(())
    })?;
    report("es256 registrations", rates);
    Ok(())
}
