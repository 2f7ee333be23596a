//! `passkey-load`: passkey verifications per second through
//! `POST /api/v1/verify`. Setup (not timed): users, each with a software
//! passkey registered over the API (countersign-webauthn's test
//! authenticator: ring ES256 keys), then `--per-user` `webauthn`
//! challenges each, every assertion signed ahead. Timed: the answers
//! (`transaction_id` + `assertion`), `--concurrency` at once, each user's
//! in counter order. See docs/benchmarks.md.

mod cpu;
mod passkey_key;

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clap::Parser;
use serde_json::{json, Value};
use tokio::sync::Mutex;

use crate::passkey_key::SoftKey;

#[derive(Debug, Parser)]
#[command(about = "Passkey verifications per second through POST /api/v1/verify")]
struct Options {
    #[arg(long, default_value = "http://127.0.0.1:18080")]
    url: String,
    /// An API key with the verify and admin scopes.
    #[arg(long, env = "COUNTERSIGN_API_KEY", hide_env_values = true)]
    api_key: String,
    /// The web origin the assertions claim (in webauthn.origins).
    #[arg(long, default_value = "http://localhost:18080")]
    origin: String,
    #[arg(long, default_value = "localhost")]
    rp_id: String,
    #[arg(long, default_value_t = 200)]
    users: usize,
    /// Assertions made ahead per user (one challenge each).
    #[arg(long, default_value_t = 100)]
    per_user: usize,
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// The server's process id, to report its CPU time.
    #[arg(long)]
    server_pid: Option<u32>,
}

struct Api {
    http: reqwest::Client,
    url: String,
    key: String,
}

impl Api {
    async fn post(&self, path: &str, body: &Value) -> Result<(u16, Value)> {
        let reply = self
            .http
            .post(format!("{}{path}", self.url))
            .bearer_auth(&self.key)
            .json(body)
            .send()
            .await
            .with_context(|| format!("POST {path}"))?;
        let status = reply.status().as_u16();
        Ok((status, reply.json().await.unwrap_or(Value::Null)))
    }

    async fn patch(&self, path: &str, body: &Value) -> Result<()> {
        let reply = self
            .http
            .patch(format!("{}{path}", self.url))
            .bearer_auth(&self.key)
            .json(body)
            .send()
            .await?;
        if !reply.status().is_success() {
            bail!("PATCH {path}: {}", reply.text().await.unwrap_or_default());
        }
        Ok(())
    }
}

/// One user's answers, in counter order.
struct Queue {
    username: String,
    answers: Vec<(String, Value)>,
}

fn main() -> ExitCode {
    let options = Options::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(&options)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(options: &Options) -> Result<()> {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(options.concurrency * 2)
        .build()?;
    let api = Arc::new(Api {
        http,
        url: options.url.trim_end_matches('/').to_string(),
        key: options.api_key.clone(),
    });
    // The answers come a while after their challenges: keep them valid.
    api.patch(
        "/api/v1/settings",
        &json!({"webauthn_challenge_seconds": 3600}),
    )
    .await?;
    let started = Instant::now();
    let queues = prepare(&api, options).await?;
    let total: usize = queues.iter().map(|q| q.answers.len()).sum();
    println!(
        "setup: {} users with a passkey, {total} challenges answered ahead in {:.1} s",
        queues.len(),
        started.elapsed().as_secs_f64()
    );
    measure(&api, options, queues, total).await
}

/// Users, passkeys and signed answers to fresh challenges, `concurrency` users at once.
async fn prepare(api: &Arc<Api>, options: &Options) -> Result<Vec<Queue>> {
    let run = format!("{:x}", rand::random::<u32>());
    let names: Vec<String> = (0..options.users)
        .map(|i| format!("pk-{run}-{i}"))
        .collect();
    let pending = Arc::new(Mutex::new(names));
    let done = Arc::new(Mutex::new(Vec::new()));
    let mut workers = Vec::new();
    for _ in 0..options.concurrency.min(options.users).max(1) {
        let (api, pending, done) = (api.clone(), pending.clone(), done.clone());
        let (origin, rp_id, per_user) = (
            options.origin.clone(),
            options.rp_id.clone(),
            options.per_user,
        );
        workers.push(tokio::spawn(async move {
            loop {
                let Some(name) = pending.lock().await.pop() else {
                    return Ok::<(), anyhow::Error>(());
                };
                let queue = prepare_user(&api, &name, &origin, &rp_id, per_user).await?;
                done.lock().await.push(queue);
            }
        }));
    }
    for worker in workers {
        worker.await??;
    }
    let mut queues = std::mem::take(&mut *done.lock().await);
    queues.sort_by(|a, b| a.username.cmp(&b.username));
    Ok(queues)
}

async fn prepare_user(
    api: &Api,
    name: &str,
    origin: &str,
    rp_id: &str,
    per_user: usize,
) -> Result<Queue> {
    let (status, body) = api
        .post("/api/v1/users", &json!({"username": name}))
        .await?;
    if status != 201 {
        bail!("creating {name}: {status} {body}");
    }
    let path = format!("/api/v1/users/{name}/passkeys");
    let (status, begun) = api.post(&path, &json!({})).await?;
    if status != 201 {
        bail!("starting {name}'s registration: {status} {begun}");
    }
    let mut key = SoftKey::new(origin, rp_id);
    let ceremony = begun["ceremony_id"].as_str().unwrap_or_default();
    let response = key.register(&begun["options"])?;
    let (status, made) = api.post(&format!("{path}/{ceremony}"), &response).await?;
    if status != 201 {
        bail!("registering {name}'s passkey: {status} {made}");
    }
    let mut answers = Vec::with_capacity(per_user);
    for _ in 0..per_user {
        let body = json!({"username": name, "method": "webauthn"});
        let (status, challenge) = api.post("/api/v1/verify", &body).await?;
        let id = challenge["transaction_id"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        if status != 200 || id.is_empty() {
            bail!("a challenge for {name}: {status} {challenge}");
        }
        answers.push((id, key.assert(&challenge["options"])?));
    }
    Ok(Queue {
        username: name.to_string(),
        answers,
    })
}

/// Answers every challenge, `concurrency` users at once, and reports.
async fn measure(
    api: &Arc<Api>,
    options: &Options,
    queues: Vec<Queue>,
    total: usize,
) -> Result<()> {
    let lanes = options.concurrency.max(1);
    let mut shares: Vec<Vec<Queue>> = (0..lanes).map(|_| Vec::new()).collect();
    for (i, queue) in queues.into_iter().enumerate() {
        shares[i % lanes].push(queue);
    }
    let server_cpu = options.server_pid.and_then(cpu::used_by);
    let own_cpu = cpu::used_by_self();
    let machine = cpu::machine_busy();
    let started = Instant::now();
    let mut workers = Vec::new();
    for share in shares {
        let api = api.clone();
        workers.push(tokio::spawn(async move { answer_all(&api, share).await }));
    }
    let mut tally = Tally::default();
    for worker in workers {
        tally.add(worker.await??);
    }
    let elapsed = started.elapsed();
    tally.report(total, elapsed);
    let server_after = options.server_pid.and_then(cpu::used_by);
    if let Some(cpu) = cpu::spent(server_cpu, server_after) {
        let cpu = cpu.as_secs_f64();
        println!(
            "server CPU: {cpu:.1} s over {:.1} s ({:.0} verifications per server CPU-second)",
            elapsed.as_secs_f64(),
            tally.accepted as f64 / cpu.max(1e-9)
        );
    }
    if let Some(cpu) = cpu::spent(own_cpu, cpu::used_by_self()) {
        println!("load generator CPU: {:.1} s", cpu.as_secs_f64());
    }
    if let (Some(before), Some(after)) = (machine, cpu::machine_busy()) {
        let cores = (after - before).as_secs_f64() / elapsed.as_secs_f64();
        println!(
            "machine: {cores:.2} cores busy on average (server, load generator and anything else)"
        );
    }
    if tally.accepted != total {
        bail!(
            "{} of {total} answers were not accepted",
            total - tally.accepted
        );
    }
    Ok(())
}

#[derive(Default)]
struct Tally {
    accepted: usize,
    other: std::collections::BTreeMap<String, usize>,
    latencies: Vec<Duration>,
}

impl Tally {
    fn add(&mut self, other: Tally) {
        self.accepted += other.accepted;
        for (k, v) in other.other {
            *self.other.entry(k).or_default() += v;
        }
        self.latencies.extend(other.latencies);
    }

    fn report(&mut self, total: usize, elapsed: Duration) {
        self.latencies.sort();
        let at = |q: f64| {
            let i = ((self.latencies.len() as f64 * q) as usize)
                .min(self.latencies.len().saturating_sub(1));
            self.latencies
                .get(i)
                .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
        };
        println!(
            "answered {total} in {:.2} s: {:.0} passkey verifications/s; accepted {}; other {:?}",
            elapsed.as_secs_f64(),
            total as f64 / elapsed.as_secs_f64(),
            self.accepted,
            self.other
        );
        println!(
            "latency ms: p50 {:.2}, p90 {:.2}, p99 {:.2}, max {:.2}",
            at(0.5),
            at(0.9),
            at(0.99),
            at(1.0)
        );
    }
}

async fn answer_all(api: &Api, share: Vec<Queue>) -> Result<Tally> {
    let mut tally = Tally::default();
    for queue in share {
        for (id, assertion) in queue.answers {
            let body =
                json!({"username": queue.username, "transaction_id": id, "assertion": assertion});
            let sent = Instant::now();
            let (status, answer) = api.post("/api/v1/verify", &body).await?;
            tally.latencies.push(sent.elapsed());
            match (status, answer["result"].as_str()) {
                (200, Some("accepted")) => tally.accepted += 1,
                _ => {
                    let key = format!("{status} {}", answer["reason"].as_str().unwrap_or(""));
                    *tally.other.entry(key).or_default() += 1;
                }
            }
        }
    }
    Ok(tally)
}
