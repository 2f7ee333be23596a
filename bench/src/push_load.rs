//! `push-load`: holds N device event streams open and drives push
//! approvals through them (verify → event → answer → accepted), printing
//! latency percentiles and the server's memory per 10,000 idle streams.
//! See `push-load --help`, bench/run-push.sh and docs/benchmarks.md.

mod push_api;
mod push_drive;
mod push_report;
mod push_setup;
mod push_stream;

use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::Parser;
use tokio::time::Instant;

use tokio::task::JoinHandle;

use crate::push_api::{Api, Device};
use crate::push_drive::{Drive, Rendezvous};
use crate::push_report::{cpu_time, rss_kib, Memory, Phase};
use crate::push_stream::StreamStats;

/// Push benchmark: N idle device streams, M push approvals through them.
///
/// Every stream is a device of its own user, enrolled during setup (user,
/// activation, P-256 key, POST /device/v1/activate). Start the server with
/// COUNTERSIGN_PUSH_PER_MINUTE=60 COUNTERSIGN_PUSH_PER_HOUR=1000 (pushes go
/// round-robin over the users) and COUNTERSIGN_PUSH_OFFLINE_CODES=false (an
/// activation then makes no TOTP token).
#[derive(Debug, Parser)]
#[command(name = "push-load", version)]
struct Options {
    /// The server, on loopback.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    /// An API key with the verify and admin scopes.
    #[arg(long, env = "COUNTERSIGN_API_KEY", hide_env_values = true)]
    api_key: String,
    /// Device streams to hold open (one user and device each).
    #[arg(long, default_value_t = 1000)]
    streams: usize,
    /// Pushes to drive through the open streams.
    #[arg(long, default_value_t = 2000)]
    pushes: u64,
    /// Pushes in flight at once (closed loop), or at most (with --rate).
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// Open loop: start this many pushes a second; latency then counts from the planned start.
    #[arg(long)]
    rate: Option<f64>,
    /// First pushes that warm the connections up and are not measured.
    #[arg(long, default_value_t = 50)]
    warmup: u64,
    /// The server's process id, to read its memory (VmRSS) and CPU time from /proc.
    #[arg(long)]
    server_pid: Option<u32>,
    /// Text in the command line of the database's processes (the PostgreSQL
    /// database name: its backends show it), whose CPU time is reported apart.
    #[arg(long)]
    database_process: Option<String>,
    /// Setup requests (enrolment, opening streams) in flight at once.
    #[arg(long, default_value_t = 16)]
    setup_concurrency: usize,
    /// Seconds the streams are held idle before measuring memory (keep-alives come every 15 s).
    #[arg(long, default_value_t = 20.0)]
    idle: f64,
    /// Seconds any one step of a push may take.
    #[arg(long, default_value_t = 10.0)]
    timeout: f64,
    /// Seconds after which the whole run gives up.
    #[arg(long, default_value_t = 1800.0)]
    max_seconds: f64,
    /// Prefix of the usernames made (default: from the clock).
    #[arg(long)]
    run_id: Option<String>,
    /// Threads of the generator's runtime.
    #[arg(long, default_value_t = 2)]
    threads: usize,
}

impl Options {
    fn validate(&self) -> Result<()> {
        if self.streams == 0 || self.concurrency == 0 || self.setup_concurrency == 0 {
            bail!("--streams, --concurrency and --setup-concurrency must be at least 1");
        }
        if self.pushes <= self.warmup {
            bail!("--pushes must be more than --warmup ({})", self.warmup);
        }
        if self.rate.is_some_and(|r| !(r > 0.0 && r <= 100_000.0)) {
            bail!("--rate must be between 0 and 100000 pushes a second");
        }
        if !(self.timeout >= 1.0 && self.idle >= 0.0 && self.max_seconds >= 10.0) {
            bail!("--timeout must be at least 1, --idle at least 0, --max-seconds at least 10");
        }
        let needed = (self.streams + 2 * self.concurrency + self.setup_concurrency + 64) as u64;
        match push_report::open_files_limit() {
            Some(limit) if limit < needed => bail!(
                "{} streams need about {needed} open files but the limit is {limit}: raise it with `ulimit -n {needed}` (the server needs as many)",
                self.streams
            ),
            _ => Ok(()),
        }
    }
}

fn main() -> ExitCode {
    let options = Options::parse();
    match start(&options) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(2),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Runs the benchmark within --max-seconds; true when every push was accepted.
fn start(options: &Options) -> Result<bool> {
    options.validate()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(options.threads.max(1))
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let limit = Duration::from_secs_f64(options.max_seconds);
    let outcome = runtime.block_on(async { tokio::time::timeout(limit, run(options)).await });
    // Streams still open are closed with the runtime, not waited for.
    runtime.shutdown_timeout(Duration::from_secs(1));
    outcome.with_context(|| format!("gave up after --max-seconds {}", options.max_seconds))?
}

/// The devices, their open streams, and what the streams saw.
struct Held {
    devices: Vec<Arc<Device>>,
    rendezvous: Arc<Rendezvous>,
    stats: Arc<StreamStats>,
    streams: Vec<JoinHandle<()>>,
}

async fn run(options: &Options) -> Result<bool> {
    let step = Duration::from_secs_f64(options.timeout);
    let api = Api::new(&options.url, &options.api_key, step)?;
    let run_id = options.run_id.clone().unwrap_or_else(clock_id);
    let rss = || options.server_pid.and_then(rss_kib);
    let n = options.streams;
    println!(
        "push-load {} against {}: {n} streams; {} pushes at concurrency {}{}; run {run_id}",
        env!("CARGO_PKG_VERSION"),
        options.url,
        options.pushes,
        options.concurrency,
        options
            .rate
            .map(|r| format!(", then {} at {r}/s (open loop)", options.pushes))
            .unwrap_or_default(),
    );
    let mut memory = Memory {
        start: rss(),
        ..Memory::default()
    };
    let held = hold_streams(options, &api, &run_id, &mut memory).await?;
    let keep_alives = held.stats.keep_alives.load(Ordering::Relaxed);

    let mut phases = vec![("closed loop", None)];
    if let Some(rate) = options.rate {
        phases.push(("open loop", Some(rate)));
    }
    let mut ok = true;
    for (number, (name, rate)) in phases.into_iter().enumerate() {
        let drive = Arc::new(Drive::new(
            api.clone(),
            held.devices.clone(),
            held.rendezvous.clone(),
            step,
            options.warmup,
            number as u64 * options.pushes,
        ));
        ok &= drive_phase(options, name, rate, &drive).await;
    }
    memory.after_pushes = rss();
    let open_at_end = held.stats.open.load(Ordering::Relaxed);
    for stream in &held.streams {
        stream.abort();
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    memory.after_close = rss();
    memory.peak = options.server_pid.and_then(push_report::peak_rss_kib);

    println!(
        "\nstreams: {open_at_end}/{n} still open after the pushes; {keep_alives} keep-alives received while idle; {} request events in all",
        held.stats.events.load(Ordering::Relaxed)
    );
    if let Ok(Some(end)) = held.stats.first_end.lock().map(|e| e.clone()) {
        println!("  {end}");
    }
    print!("{}", memory.text(n));
    Ok(ok && open_at_end == n)
}

/// Enrols the devices, opens their streams and holds them idle, noting the server's memory.
async fn hold_streams(
    options: &Options,
    api: &Api,
    run_id: &str,
    memory: &mut Memory,
) -> Result<Held> {
    let n = options.streams;
    let rss = || options.server_pid.and_then(rss_kib);
    let started = Instant::now();
    let devices = push_setup::enroll(api, run_id, n, options.setup_concurrency).await?;
    let took = started.elapsed().as_secs_f64();
    println!(
        "enrolled {n} users with a device each in {took:.1} s ({:.0}/s)",
        n as f64 / took
    );
    memory.before_streams = rss();
    let rendezvous = Arc::new(Rendezvous::default());
    let stats = Arc::new(StreamStats::default());
    let started = Instant::now();
    let streams = push_setup::open_streams(
        api,
        &devices,
        options.setup_concurrency,
        &rendezvous,
        &stats,
    )
    .await?;
    let took = started.elapsed().as_secs_f64();
    println!(
        "opened {n} streams in {took:.1} s ({:.0}/s); holding them idle {} s",
        n as f64 / took,
        options.idle
    );
    let cpu_before = options.server_pid.and_then(|p| cpu_time(&p.to_string()));
    tokio::time::sleep(Duration::from_secs_f64(options.idle)).await;
    memory.idle = rss();
    let cpu_after = options.server_pid.and_then(|p| cpu_time(&p.to_string()));
    if let Some((before, after)) = cpu_before.zip(cpu_after) {
        println!(
            "server CPU while the streams were idle: {:.2} s in {} s ({} keep-alives received)",
            after.saturating_sub(before).as_secs_f64(),
            options.idle,
            stats.keep_alives.load(Ordering::Relaxed)
        );
    }
    let open = stats.open.load(Ordering::Relaxed);
    if open != n {
        bail!("only {open} of {n} streams stayed open while idle");
    }
    Ok(Held {
        devices,
        rendezvous,
        stats,
        streams,
    })
}

/// One phase of pushes, reported as it ends; false when some push failed.
async fn drive_phase(options: &Options, name: &str, rate: Option<f64>, drive: &Arc<Drive>) -> bool {
    let cpu = |pid: Option<u32>| pid.and_then(|p| cpu_time(&p.to_string()));
    let (server_before, own_before) = (cpu(options.server_pid), cpu_time("self"));
    let machine_before = push_report::machine_busy();
    let database = || {
        let text = options.database_process.as_deref()?;
        push_report::cpu_time_of_processes(text)
    };
    let database_before = database();
    let started = Instant::now();
    match rate {
        Some(rate) => {
            drive
                .open_loop(options.pushes, options.concurrency, rate)
                .await
        }
        None => drive.closed_loop(options.pushes, options.concurrency).await,
    }
    let elapsed = started.elapsed();
    let spent = |before: Option<Duration>, after: Option<Duration>| {
        before.zip(after).map(|(a, b)| b.saturating_sub(a))
    };
    let phase = Phase {
        name: match rate {
            Some(rate) => format!(
                "{name}, {rate}/s planned, at most {} in flight",
                options.concurrency
            ),
            None => format!("{name}, {} in flight", options.concurrency),
        },
        elapsed,
        server_cpu: spent(server_before, cpu(options.server_pid)),
        own_cpu: spent(own_before, cpu_time("self")),
        machine_cpu: spent(machine_before, push_report::machine_busy()),
        database_cpu: spent(database_before, database()),
        warmup: options.warmup,
    };
    let failures = drive.failures.lock().map(|f| f.clone()).unwrap_or_default();
    let done = drive.done.load(Ordering::Relaxed);
    if let Ok(latencies) = drive.latencies.lock() {
        print!("{}", phase.text(done, &failures, &latencies));
    }
    failures.is_empty()
}

/// A short id from the clock, so repeated runs make distinct users.
fn clock_id() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or_default();
    format!("{:x}", now % 0x10_0000_0000)
}
