//! `code`: the current TOTP code from the stored seed, offline.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{anyhow, Context};
use countersign_authenticator::store::Store;
use countersign_authenticator::timefmt::unix_now;
use countersign_otp::{base32, totp, Algorithm};
use serde_json::json;

use super::Output;

pub fn run(store_path: &Path, out: Output) -> anyhow::Result<ExitCode> {
    let store = Store::load(store_path)?;
    let seed = store.oath.as_ref().ok_or_else(|| {
        anyhow!("the server gave this device no offline seed (its policy turns offline codes off): ask an administrator for an OATH token instead")
    })?;
    let secret = base32::decode(&seed.secret).context(
        "the stored OATH seed is not valid base32; the store is damaged: activate again",
    )?;
    let algorithm: Algorithm = seed.algorithm.parse().context(
        "the stored OATH algorithm is unknown; update countersign-authenticator or activate again",
    )?;
    let period = seed.period.max(1);
    let now = unix_now();
    let code = totp(&secret, now, period, seed.digits, algorithm);
    let remaining = period - now % period;
    if out.json {
        out.json_line(&json!({
            "code": code,
            "remaining_seconds": remaining,
            "account_name": store.account_name,
            "user": store.user,
        }));
    } else {
        println!(
            "{code}  ({} {}, valid {remaining} s more)",
            store.account_name, store.user
        );
    }
    Ok(ExitCode::SUCCESS)
}
