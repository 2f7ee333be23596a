//! RADIUS: clients whose requests were dropped in the last hour (unknown
//! address, missing or wrong Message-Authenticator), as the listener
//! recorded them in the `radius_drops` table, each with its fix.

use std::net::IpAddr;

use async_trait::async_trait;
use countersign_domain::ports::diagnostics::Finding;
use countersign_store::radius_drops::RadiusDrop;

use super::{Check, Doctor};
use crate::config::Config;
use crate::radius::{explain_drop, DropCause};

const CHECK: &str = "radius.drops";
const HOUR: i64 = 3600;

pub fn register(doctor: &mut Doctor) {
    doctor.register(Box::new(RadiusCheck));
}

struct RadiusCheck;

#[async_trait]
impl Check for RadiusCheck {
    async fn run(&self, config: &Config) -> Vec<Finding> {
        // The store check reports a database that cannot be read.
        let Some(drops) = recent_drops(config).await else {
            return Vec::new();
        };
        if drops.is_empty() {
            return match config.radius_listen {
                Some(_) => vec![Finding::pass(
                    CHECK,
                    "no RADIUS request was dropped in the last hour",
                )],
                None => Vec::new(),
            };
        }
        drops.iter().map(finding).collect()
    }
}

async fn recent_drops(config: &Config) -> Option<Vec<RadiusDrop>> {
    if let Some(path) = config.database_url.strip_prefix("sqlite://") {
        let path = path.split('?').next().unwrap_or(path);
        if !std::path::Path::new(path).exists() {
            return None;
        }
    }
    let store = super::store::open_for_check(&config.database_url)
        .await
        .ok()?
        .ok()?;
    let since = unix_now() - HOUR;
    let drops = store.radius_drops_since(since).await.ok();
    store.close().await;
    drops
}

fn finding(drop: &RadiusDrop) -> Finding {
    let cause = DropCause::ALL
        .into_iter()
        .find(|c| c.as_str() == drop.cause);
    let address: Option<IpAddr> = drop.address.parse().ok();
    let (Some(cause), Some(address)) = (cause, address) else {
        return Finding::warn(
            CHECK,
            format!(
                "{} RADIUS request(s) from {} dropped ({})",
                drop.count, drop.source, drop.cause
            ),
            "see the server's log for the warning that names the fix",
        );
    };
    let client = (cause != DropCause::UnknownClient).then_some(drop.source.as_str());
    let (problem, fix) = explain_drop(cause, client, address);
    let who = match client {
        Some(name) => format!("client '{name}' (last from {address})"),
        None => format!("{address}"),
    };
    Finding::warn(
        CHECK,
        format!(
            "{} RADIUS request(s) from {who} dropped since {} ({}), the last {} ago: {problem}",
            drop.count,
            clock_time(drop.first_at),
            drop.cause,
            ago(unix_now() - drop.last_at),
        ),
        fix,
    )
}

/// `HH:MM UTC` of a Unix time.
fn clock_time(at: i64) -> String {
    let seconds = at.rem_euclid(86_400);
    format!("{:02}:{:02} UTC", seconds / 3600, seconds % 3600 / 60)
}

fn ago(seconds: i64) -> String {
    match seconds.max(0) {
        s if s < 120 => format!("{s} s"),
        s => format!("{} min", s / 60),
    }
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
