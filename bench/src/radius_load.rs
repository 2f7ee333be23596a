//! `radius-load`: a load generator for the RADIUS listener. OTP
//! Access-Requests (PAP, Message-Authenticator, a valid sequential HOTP
//! code or a wrong one) over UDP, one socket per worker with its own run of
//! Identifiers, for users it creates through the admin API as verify-load
//! does. Prints req/s, latency percentiles and what the answers were. See
//! `radius-load --help` and docs/benchmarks.md.

#[allow(dead_code)]
mod client;
#[allow(dead_code)]
mod codes;
#[allow(dead_code)]
mod cpu;
#[allow(dead_code)]
mod loopback;
mod radius_options;
mod radius_report;
mod setup;
#[allow(dead_code)]
mod tally;

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::Parser;
use countersign_radius::{attr, encode_access_request, verify_response, Attribute, Code, Packet};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::net::UdpSocket;
use tokio::time::Instant;

use crate::client::{Answer, Api};
use crate::codes::{send_wrong, BenchUser};
use crate::radius_options::Options;
use crate::radius_report::{diff, server_drops, RadiusReport, Setting};
use crate::tally::Tally;

fn main() -> ExitCode {
    let options = Options::parse();
    match start(&options) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn start(options: &Options) -> Result<ExitCode> {
    options.validate()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(options.threads)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let report = runtime.block_on(run(options))?;
    let json = serde_json::to_string_pretty(&report)?;
    if let Some(path) = &options.json_file {
        std::fs::write(path, format!("{json}\n"))
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    if options.json {
        println!("{json}");
    } else {
        print!("{}", report.text());
    }
    Ok(if report.problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

/// What every worker shares: where to send, the mix, and when to stop.
struct Plan {
    server: SocketAddr,
    secret: Vec<u8>,
    invalid_ratio: f64,
    max_invalid_streak: u32,
    timeout: Duration,
    started: Instant,
    deadline: Instant,
    slots: AtomicU64,
    max_requests: Option<u64>,
    rate: Option<f64>,
}

impl Plan {
    /// When the next request starts (None: the run is over). Open loop: slot
    /// n is due at n / rate and a late request counts from its due time.
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
        if due > now {
            tokio::time::sleep_until(due).await;
            return Some(Instant::now());
        }
        Some(due)
    }
}

async fn run(options: &Options) -> Result<RadiusReport> {
    let run_id = options
        .run_id
        .clone()
        .unwrap_or_else(|| format!("{:08x}", rand::thread_rng().gen::<u32>()));
    let api = Api::new(
        &options.url,
        &options.api_key,
        options.setup_concurrency,
        Duration::from_secs(30),
    )?;
    let users = setup::prepare(
        &api,
        &run_id,
        options.users,
        options.setup,
        options.setup_concurrency,
    )
    .await?;
    let metrics_url = format!("{}/metrics", options.url.trim_end_matches('/'));
    let drops_before = server_drops(&metrics_url).await;
    eprintln!("running (reuse these users with --run-id {run_id}) ...");
    let server_before = options.server_pid.and_then(cpu::used_by);
    let (machine_before, self_before) = (cpu::machine_busy(), cpu::used_by_self());
    let started = Instant::now();
    let duration = match (options.duration, options.requests) {
        (Some(d), _) => d,
        (None, Some(_)) => 3600.0,
        (None, None) => 10.0,
    };
    let plan = Arc::new(Plan {
        server: options.radius,
        secret: options.secret.as_bytes().to_vec(),
        invalid_ratio: options.invalid_ratio,
        max_invalid_streak: options.max_invalid_streak,
        timeout: Duration::from_secs_f64(options.timeout),
        started,
        deadline: started + Duration::from_secs_f64(duration),
        slots: AtomicU64::new(0),
        max_requests: options.requests,
        rate: options.rate,
    });
    let mut tasks = tokio::task::JoinSet::new();
    for (index, hand) in deal(users, options.concurrency).into_iter().enumerate() {
        tasks.spawn(worker(plan.clone(), hand, index as u64));
    }
    let mut tally = Tally::new()?;
    while let Some(joined) = tasks.join_next().await {
        tally.merge(joined.context("a worker failed")??)?;
    }
    let elapsed = started.elapsed();
    let seconds = |d: Option<Duration>| d.map(|d| d.as_secs_f64());
    let server_drops = diff(drops_before, server_drops(&metrics_url).await);
    let setting = Setting {
        run_id,
        radius: options.radius.to_string(),
        rate: options.rate,
        users: options.users,
        concurrency: options.concurrency,
        invalid_ratio: options.invalid_ratio,
    };
    Ok(RadiusReport::new(
        setting,
        elapsed,
        tally,
        [
            seconds(cpu::spent(self_before, cpu::used_by_self())),
            seconds(cpu::spent(
                server_before,
                options.server_pid.and_then(cpu::used_by),
            )),
            seconds(cpu::spent(machine_before, cpu::machine_busy())),
        ],
        server_drops,
    ))
}

/// Worker w owns users w, w + n, w + 2n, ...
fn deal(users: Vec<BenchUser>, workers: usize) -> Vec<Vec<BenchUser>> {
    let mut hands: Vec<Vec<BenchUser>> = (0..workers).map(|_| Vec::new()).collect();
    for (i, user) in users.into_iter().enumerate() {
        hands[i % workers].push(user);
    }
    hands
}

/// One socket, one request in flight, Identifiers counting up from a random start.
async fn worker(plan: Arc<Plan>, mut users: Vec<BenchUser>, seed: u64) -> Result<Tally> {
    let socket = UdpSocket::bind("127.0.0.1:0").await?;
    socket.connect(plan.server).await?;
    let mut tally = Tally::new()?;
    let mut rng = StdRng::seed_from_u64(seed);
    let mut identifier: u8 = rng.gen();
    let mut buffer = vec![0u8; 4096];
    let mut turn = 0usize;
    while let Some(start) = plan.next_start().await {
        let count = users.len();
        let Some(user) = users.get_mut(turn % count.max(1)) else {
            break;
        };
        turn += 1;
        let wrong = send_wrong(user, plan.invalid_ratio, plan.max_invalid_streak, &mut rng);
        let code = if wrong {
            user.wrong_code(&mut rng)
        } else {
            user.take_valid_code()
        };
        identifier = identifier.wrapping_add(1);
        let attributes = vec![
            Attribute::new(attr::USER_NAME, user.name.as_str()),
            Attribute::new(attr::NAS_IDENTIFIER, "radius-load"),
        ];
        let (request, authenticator) =
            encode_access_request(identifier, attributes, Some(code.as_bytes()), &plan.secret)?;
        let answer = exchange(&socket, &request, &authenticator, &plan, &mut buffer).await;
        tally.record(wrong, &answer, start.elapsed());
        match answer {
            Answer::Accepted => user.streak = 0,
            _ if wrong => user.streak += 1,
            _ => {}
        }
    }
    Ok(tally)
}

/// Sends one request and waits for its answer, skipping late answers to
/// earlier requests of this socket.
async fn exchange(
    socket: &UdpSocket,
    request: &[u8],
    authenticator: &[u8; 16],
    plan: &Plan,
    buffer: &mut [u8],
) -> Answer {
    if socket.send(request).await.is_err() {
        return Answer::Transport("send failed");
    }
    let deadline = Instant::now() + plan.timeout;
    loop {
        let len = match tokio::time::timeout_at(deadline, socket.recv(buffer)).await {
            Err(_) => return Answer::Transport("timeout"),
            Ok(Err(_)) => return Answer::Transport("receive failed (is the listener on?)"),
            Ok(Ok(len)) => len,
        };
        let Some(answer) = buffer.get(..len) else {
            return Answer::Transport("receive failed");
        };
        if answer.get(1) != request.get(1) {
            continue;
        }
        return match verify_response(answer, authenticator, &plan.secret) {
            Ok(packet) if packet.code == Code::AccessAccept => Answer::Accepted,
            Ok(packet) if packet.code == Code::AccessReject => Answer::Rejected(reason(&packet)),
            Ok(_) => Answer::Transport("neither Accept nor Reject (is the client's flow otp?)"),
            Err(_) => Answer::Transport("answer failed verification (wrong --secret?)"),
        };
    }
}

/// The reason code at the end of a Reject's Reply-Message: "words (code)".
fn reason(packet: &Packet) -> String {
    let message = packet.text(attr::REPLY_MESSAGE).unwrap_or_default();
    message
        .rsplit_once('(')
        .and_then(|(_, rest)| rest.strip_suffix(')'))
        .unwrap_or("no reason in Reply-Message")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Options {
        let mut all = vec!["radius-load", "--secret", "s", "--api-key", "k"];
        all.extend_from_slice(args);
        Options::try_parse_from(all).expect("options parse")
    }

    #[test]
    fn only_loopback_and_sane_limits() {
        assert!(parse(&["--setup"]).validate().is_ok());
        let message = parse(&[
            "--radius",
            "10.0.0.1:1812",
            "--users",
            "2",
            "--concurrency",
            "4",
        ])
        .validate()
        .expect_err("invalid")
        .to_string();
        assert!(message.contains("loopback"), "{message}");
        assert!(
            message.contains("--concurrency may not exceed"),
            "{message}"
        );
    }

    #[test]
    fn the_reason_code_ends_the_reply_message() {
        let mut reject = Packet::new(Code::AccessReject, 1, [0; 16]);
        reject.add(
            attr::REPLY_MESSAGE,
            "This code was already used. (code_reused)",
        );
        assert_eq!(reason(&reject), "code_reused");
        let bare = Packet::new(Code::AccessReject, 1, [0; 16]);
        assert_eq!(reason(&bare), "no reason in Reply-Message");
    }

    #[test]
    fn users_are_dealt_disjointly() {
        let users: Vec<BenchUser> = (0..5).map(|i| BenchUser::new("t", i)).collect();
        let hands = deal(users, 2);
        assert_eq!(hands[0].len(), 3);
        assert_eq!(hands[1][0].name, "bench-t-1");
    }
}
