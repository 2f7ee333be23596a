//! Requests dropped without an answer because of the set-up (an unknown
//! client, a missing or wrong Message-Authenticator): a NAS that gets no
//! answer only times out, so the operator must hear it from us. Each is
//! logged at WARN naming the address and the fix, at most once a minute
//! per client (or address, for an unknown client), and counted in the
//! `radius_drops` table at the same pace, where `countersign doctor` finds it.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

use countersign_store::SqlStore;

/// How often one client is reported.
const EVERY: i64 = 60;
/// Clients (or unknown addresses) followed at once; a scan from more
/// addresses is only counted in the metrics.
const MAX_TRACKED: usize = 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    UnknownClient,
    MissingMessageAuthenticator,
    BadMessageAuthenticator,
}

impl Cause {
    pub const ALL: [Cause; 3] = [
        Cause::UnknownClient,
        Cause::MissingMessageAuthenticator,
        Cause::BadMessageAuthenticator,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Cause::UnknownClient => "unknown_client",
            Cause::MissingMessageAuthenticator => "missing_message_authenticator",
            Cause::BadMessageAuthenticator => "bad_message_authenticator",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Who sent it: a configured client's name, or nobody we know.
fn source(client: Option<&str>, address: IpAddr) -> String {
    client.map_or_else(|| address.to_string(), str::to_string)
}

struct Tally {
    address: IpAddr,
    pending: [u64; 3],
    last_report: i64,
}

/// One report: a warning and a row update per cause.
struct Report {
    source: String,
    known: bool,
    address: IpAddr,
    counts: [u64; 3],
}

pub struct Drops {
    store: SqlStore,
    tallies: Mutex<HashMap<(String, bool), Tally>>,
}

impl Drops {
    pub fn new(store: SqlStore) -> Self {
        Drops {
            store,
            tallies: Mutex::new(HashMap::new()),
        }
    }

    /// One dropped request; reported now if its client was not reported in
    /// the last minute, else counted for the next report.
    pub async fn note(&self, client: Option<&str>, address: IpAddr, cause: Cause, now: i64) {
        let report = self.count(client, address, cause, now);
        if let Some(report) = report {
            self.report(report, now).await;
        }
    }

    fn count(
        &self,
        client: Option<&str>,
        address: IpAddr,
        cause: Cause,
        now: i64,
    ) -> Option<Report> {
        let mut tallies = self.tallies.lock().unwrap_or_else(|e| e.into_inner());
        let key = (source(client, address), client.is_some());
        if !tallies.contains_key(&key) && tallies.len() >= MAX_TRACKED {
            return None;
        }
        let tally = tallies.entry(key.clone()).or_insert(Tally {
            address,
            pending: [0; 3],
            last_report: i64::MIN,
        });
        tally.address = address;
        tally.pending[cause.index()] += 1;
        due(tally, now).then(|| take(&key, tally, now))
    }

    /// Reports what was counted since the last report a minute ago, and
    /// forgets clients that have been quiet; run every few seconds.
    pub async fn flush(&self, now: i64) {
        let reports: Vec<Report> = {
            let mut tallies = self.tallies.lock().unwrap_or_else(|e| e.into_inner());
            tallies
                .retain(|_, t| t.pending.iter().any(|&n| n > 0) || now - t.last_report < 2 * EVERY);
            tallies
                .iter_mut()
                .filter(|(_, t)| t.pending.iter().any(|&n| n > 0) && due(t, now))
                .map(|(key, t)| take(key, t, now))
                .collect()
        };
        for report in reports {
            self.report(report, now).await;
        }
    }

    async fn report(&self, report: Report, now: i64) {
        for cause in Cause::ALL {
            let count = report.counts[cause.index()];
            if count == 0 {
                continue;
            }
            warn(&report, cause, count);
            let address = report.address.to_string();
            let written = self
                .store
                .record_radius_drops(&report.source, cause.as_str(), &address, count as i64, now)
                .await;
            if let Err(e) = written {
                tracing::warn!(error = %e, "dropped RADIUS requests could not be recorded for `countersign doctor`");
            }
        }
    }
}

fn due(tally: &Tally, now: i64) -> bool {
    tally.last_report == i64::MIN || now - tally.last_report >= EVERY
}

fn take(key: &(String, bool), tally: &mut Tally, now: i64) -> Report {
    tally.last_report = now;
    Report {
        source: key.0.clone(),
        known: key.1,
        address: tally.address,
        counts: std::mem::take(&mut tally.pending),
    }
}

fn warn(report: &Report, cause: Cause, count: u64) {
    let address = report.address;
    let client = report.known.then_some(report.source.as_str());
    let (problem, fix) = explain(cause, client, address);
    tracing::warn!(%address, client = client.unwrap_or("-"), cause = cause.as_str(), count,
        "RADIUS request from {address} dropped: {problem}; fix: {fix} ({count} dropped since the last warning; next warning about this client in a minute at the soonest)");
}

/// What is wrong and what to do, in words (also used by the doctor).
pub fn explain(cause: Cause, client: Option<&str>, address: IpAddr) -> (String, String) {
    let client = client.map_or_else(String::new, |c| format!("client '{c}' "));
    match cause {
        Cause::UnknownClient => (
            format!("unknown client: no RADIUS client is configured for {address}"),
            format!("add it with `countersign radius client add --name NAME --address {address} --secret-file FILE` (or a [[radius.clients]] entry), or correct the RADIUS server address on the device"),
        ),
        Cause::MissingMessageAuthenticator => (
            format!("{client}requires Message-Authenticator and the request had none"),
            "turn on Message-Authenticator on the NAS (BlastRADIUS, CVE-2024-3596); only for equipment that cannot, re-add the client with --allow-missing-message-authenticator".to_string(),
        ),
        Cause::BadMessageAuthenticator => (
            format!("the Message-Authenticator does not match {client}secret"),
            "check that the shared secret on the NAS is the client's secret (a typo, or a secret changed on one side only)".to_string(),
        ),
    }
}
