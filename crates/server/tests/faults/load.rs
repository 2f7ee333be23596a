//! The mixed load of the fault tests: API verifications through the load
//! balancer and RADIUS Access-Requests straight to the nodes (a NAS fails
//! over to the other node when one does not answer), each worker on its
//! own user with an HOTP token, so every code it sends is new.
//!
//! A try without a verdict (no connection, a reset, an error status, no
//! RADIUS answer) is retried with the same code, as a client would, until
//! a verdict comes; what each code got is tallied for the audit check.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use countersign_radius::Code;
use serde_json::json;

use crate::common::{hotp, RFC_SECRET};
use crate::radius_peers::{reply_message, Nas};

/// How long a code is retried before the test gives up on it.
const GIVE_UP: Duration = Duration::from_secs(60);
/// A client's pause between tries of one code.
const BACK_OFF: Duration = Duration::from_millis(100);
/// How long a NAS waits for an answer before it tries the other node.
const RADIUS_WAIT: Duration = Duration::from_millis(1500);
/// The pause between one code's verdict and the next code.
const PACE: Duration = Duration::from_millis(60);

/// What one worker's codes got.
#[derive(Debug, Default, Clone)]
pub struct Tally {
    /// Tries that got a verdict (accepted or rejected): each must be audited.
    pub answered: u64,
    /// Codes answered "accepted".
    pub accepted: u64,
    /// Codes rejected after a try without a verdict: the lost try may have
    /// been accepted (its answer died with the node), so this is a replay.
    pub ambiguous: u64,
    /// Tries without a verdict.
    pub lost: u64,
    /// Error answers: status, body, and how long each took.
    pub errors: Vec<(String, Duration)>,
    /// Fresh codes rejected, or codes that got no verdict in [`GIVE_UP`].
    pub wrong: Vec<String>,
}

/// Tallies shared between the workers and the test.
pub type Tallies = Arc<Mutex<Vec<(String, Tally)>>>;

/// What a worker shares with the test: when to stop, a count of verdicts
/// (to wait for progress) and where its tally goes.
pub struct Shared {
    stop: Arc<AtomicBool>,
    verdicts: Arc<AtomicU64>,
    tallies: Tallies,
}

impl Shared {
    pub fn new(stop: &Arc<AtomicBool>, verdicts: &Arc<AtomicU64>, tallies: &Tallies) -> Shared {
        Shared {
            stop: stop.clone(),
            verdicts: verdicts.clone(),
            tallies: tallies.clone(),
        }
    }
}

/// One try of a code: a verdict, or why there was none.
enum Try {
    Verdict { accepted: bool, detail: String },
    NoVerdict(String),
}

/// How a worker sends a code: through the API or over RADIUS.
enum Door {
    Api {
        http: reqwest::Client,
        url: String,
        key: String,
    },
    Radius {
        nases: Vec<Nas>,
        id: u8,
        sent: usize,
    },
}

impl Door {
    async fn try_code(&mut self, username: &str, code: &str, attempt: u64) -> Try {
        match self {
            Door::Api { http, url, key } => try_api(http, url, key, username, code).await,
            Door::Radius { nases, id, sent } => {
                // A NAS spreads its requests; after a timeout it tries the next server.
                if attempt == 0 {
                    *sent += 1;
                }
                let nas = &nases[(*sent + attempt as usize) % nases.len()];
                *id = id.wrapping_add(1);
                try_radius(nas, *id, username, code).await
            }
        }
    }
}

/// Runs tries of fresh HOTP codes of `username` until told to stop, tallying.
async fn run(username: String, shared: Shared, mut door: Door) {
    let mut tally = Tally::default();
    let mut counter = 0u64;
    while !shared.stop.load(Ordering::Relaxed) {
        let code = hotp(RFC_SECRET, counter);
        let first = Instant::now();
        let mut lost_before = false;
        let mut attempt = 0u64;
        loop {
            let started = Instant::now();
            match door.try_code(&username, &code, attempt).await {
                Try::Verdict { accepted, detail } => {
                    tally.answered += 1;
                    shared.verdicts.fetch_add(1, Ordering::Relaxed);
                    match (accepted, lost_before) {
                        (true, _) => tally.accepted += 1,
                        (false, true) => tally.ambiguous += 1,
                        (false, false) => tally
                            .wrong
                            .push(format!("fresh code #{counter} rejected: {detail}")),
                    }
                    break;
                }
                Try::NoVerdict(why) => {
                    tally.lost += 1;
                    lost_before = true;
                    tally.errors.push((why, started.elapsed()));
                }
            }
            if first.elapsed() > GIVE_UP {
                tally
                    .wrong
                    .push(format!("code #{counter} got no verdict in {GIVE_UP:?}"));
                break;
            }
            attempt += 1;
            tokio::time::sleep(BACK_OFF).await;
        }
        counter += 1;
        // A steady pace, so that one user's audit fits one page.
        tokio::time::sleep(PACE).await;
    }
    shared
        .tallies
        .lock()
        .expect("tallies")
        .push((username, tally));
}

/// API verifications of `username` at `base` (the load balancer).
pub async fn api_worker(base: String, key: String, username: String, shared: Shared) {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("an HTTP client");
    let url = format!("{base}/api/v1/verify");
    run(username, shared, Door::Api { http, url, key }).await;
}

async fn try_api(http: &reqwest::Client, url: &str, key: &str, username: &str, code: &str) -> Try {
    let sent = http
        .post(url)
        .bearer_auth(key)
        .json(&json!({"username": username, "code": code}))
        .send()
        .await;
    let reply = match sent {
        Ok(reply) => reply,
        Err(e) => return Try::NoVerdict(format!("no answer: {e}")),
    };
    let status = reply.status().as_u16();
    let body: serde_json::Value = reply.json().await.unwrap_or_default();
    match (status, body["result"].as_str()) {
        (200, Some("accepted")) => Try::Verdict {
            accepted: true,
            detail: body.to_string(),
        },
        (200, Some("rejected")) => Try::Verdict {
            accepted: false,
            detail: body.to_string(),
        },
        _ => Try::NoVerdict(format!("{status} {body}")),
    }
}

/// RADIUS Access-Requests of `username` (PAP, the code as password) to the
/// nodes on `ports`, starting on the first and failing over to the next.
pub async fn radius_worker(ports: Vec<u16>, secret: String, username: String, shared: Shared) {
    let mut nases = Vec::new();
    for port in &ports {
        nases.push(Nas::bind("127.0.0.1", *port, &secret).await);
    }
    let door = Door::Radius {
        nases,
        id: 0,
        sent: 0,
    };
    run(username, shared, door).await;
}

async fn try_radius(nas: &Nas, id: u8, username: &str, code: &str) -> Try {
    let request = nas.request(id, username, code, Vec::new());
    nas.send(&request.0).await;
    let Some(raw) = answer_to(nas, id).await else {
        return Try::NoVerdict("no RADIUS answer".to_string());
    };
    let packet = nas.check(&raw, &request.1);
    let detail = reply_message(&packet);
    match packet.code {
        Code::AccessAccept => Try::Verdict {
            accepted: true,
            detail,
        },
        Code::AccessReject => Try::Verdict {
            accepted: false,
            detail,
        },
        other => Try::NoVerdict(format!("unexpected RADIUS answer {other:?}")),
    }
}

/// The answer to the request `id` within [`RADIUS_WAIT`]; a late answer to
/// an earlier try (whose node was slow, not dead) is passed over.
async fn answer_to(nas: &Nas, id: u8) -> Option<Vec<u8>> {
    let deadline = Instant::now() + RADIUS_WAIT;
    loop {
        let left = deadline.checked_duration_since(Instant::now())?;
        let raw = nas.receive(left).await?;
        if raw.get(1) == Some(&id) {
            return Some(raw);
        }
    }
}
