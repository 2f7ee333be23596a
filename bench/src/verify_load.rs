//! `verify-load`: a load generator for `POST /api/v1/verify`. See
//! `verify-load --help` and docs/benchmarks.md.

mod args;
mod client;
mod codes;
mod cpu;
mod loopback;
mod report;
mod setup;
mod tally;
mod worker;

use std::process::ExitCode;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::Parser;
use rand::Rng;
use tokio::time::Instant;

use crate::args::Options;
use crate::client::Api;
use crate::report::{Report, RunInfo};
use crate::tally::Tally;
use crate::worker::Plan;

fn main() -> ExitCode {
    let options = Options::parse();
    match start(options) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn start(options: Options) -> Result<ExitCode> {
    options.validate()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(options.threads)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let report = runtime.block_on(run(&options))?;
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

async fn run(options: &Options) -> Result<Report> {
    let run_id = options.run_id.clone().unwrap_or_else(new_run_id);
    let timeout = Duration::from_secs_f64(options.timeout);
    let api = Api::new(
        &options.url,
        &options.api_key,
        options.concurrency.max(options.setup_concurrency),
        timeout,
    )?;
    let users = setup::prepare(
        &api,
        &run_id,
        options.users,
        options.setup,
        options.setup_concurrency,
    )
    .await?;
    if options.invalid_ratio >= 1.0 {
        eprintln!("note: only wrong codes: users lock out after the server's lockout threshold (COUNTERSIGN_VERIFY_LOCKOUT_THRESHOLD)");
    }
    eprintln!("running (reuse these users with --run-id {run_id}) ...");
    let server_before = options.server_pid.and_then(cpu::used_by);
    let machine_before = cpu::machine_busy();
    let (started, cpu_before) = (Instant::now(), cpu::used_by_self());
    let plan = Arc::new(Plan {
        verify_url: api.verify_url()?,
        api,
        invalid_ratio: options.invalid_ratio,
        max_invalid_streak: options.max_invalid_streak,
        started,
        deadline: started + options.time_limit(),
        slots: AtomicU64::new(0),
        max_requests: options.requests,
        rate: options.rate,
    });
    let tally = drive(plan, users, options.concurrency).await?;
    let info = RunInfo {
        run_id,
        url: options.url.clone(),
        users: options.users,
        concurrency: options.concurrency,
        rate: options.rate,
        invalid_ratio: options.invalid_ratio,
        elapsed: started.elapsed(),
        cpu: cpu::spent(cpu_before, cpu::used_by_self()),
        server_cpu: cpu::spent(server_before, options.server_pid.and_then(cpu::used_by)),
        machine_cpu: cpu::spent(machine_before, cpu::machine_busy()),
    };
    Ok(Report::new(info, tally))
}

/// Starts one worker per share of users and adds up what they counted.
async fn drive(plan: Arc<Plan>, users: Vec<codes::BenchUser>, concurrency: usize) -> Result<Tally> {
    let mut tasks = tokio::task::JoinSet::new();
    for (index, hand) in worker::deal(users, concurrency).into_iter().enumerate() {
        tasks.spawn(worker::run(plan.clone(), hand, index as u64));
    }
    let mut total = Tally::new()?;
    while let Some(joined) = tasks.join_next().await {
        total.merge(joined.context("a worker failed")??)?;
    }
    Ok(total)
}

fn new_run_id() -> String {
    format!("{:08x}", rand::thread_rng().gen::<u32>())
}
