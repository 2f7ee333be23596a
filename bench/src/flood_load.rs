//! `flood-load`: a password flood against the sign-in pages, as one
//! attacker with a browser's manners would send it: each connection
//! fetches the sign-in form (its csrf field and the pre-session cookie)
//! like a browser, then posts wrong passwords as fast as it is answered,
//! fetching a fresh form whenever a post is refused for its csrf (403).
//! Half the connections flood `/portal/login`, half `/admin/login`.
//! Prints the answers by status code per page and their latency.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clap::Parser;
use hdrhistogram::Histogram;
use serde::Serialize;
use tokio::sync::Mutex;

#[derive(Debug, Clone, Parser)]
#[command(name = "flood-load", version)]
struct Options {
    /// Base URL of the server; loopback only.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    /// Connections at once (half per sign-in page).
    #[arg(long, default_value_t = 16)]
    connections: usize,
    #[arg(long, default_value_t = 12.0)]
    duration: f64,
    #[arg(long)]
    json_file: Option<std::path::PathBuf>,
}

#[derive(Default, Serialize)]
struct Report {
    connections: usize,
    elapsed_seconds: f64,
    /// Answers to the wrong-password posts, by page and status code.
    statuses: BTreeMap<String, BTreeMap<u16, u64>>,
    /// Posts that got no answer (connection errors).
    errors: u64,
    latency_ms: BTreeMap<&'static str, f64>,
}

struct Shared {
    report: Mutex<Report>,
    latency: Mutex<Histogram<u64>>,
}

fn main() -> ExitCode {
    let options = Options::parse();
    let run = || -> Result<()> {
        let host = url::Url::parse(&options.url)?;
        if !matches!(host.host_str(), Some("127.0.0.1" | "localhost" | "[::1]")) {
            bail!("--url must be a loopback address: the flood never targets other hosts");
        }
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let report = runtime.block_on(flood(&options))?;
        let json = serde_json::to_string_pretty(&report)?;
        if let Some(path) = &options.json_file {
            std::fs::write(path, format!("{json}\n")).context("cannot write --json-file")?;
        }
        println!("{json}");
        Ok(())
    };
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn flood(options: &Options) -> Result<Report> {
    let shared = Arc::new(Shared {
        report: Mutex::default(),
        latency: Mutex::new(Histogram::new(3)?),
    });
    let started = Instant::now();
    let until = started + Duration::from_secs_f64(options.duration);
    let mut tasks = Vec::new();
    for i in 0..options.connections {
        let page = if i % 2 == 0 {
            "/portal/login"
        } else {
            "/admin/login"
        };
        let url = format!("{}{page}", options.url.trim_end_matches('/'));
        let shared = shared.clone();
        tasks.push(tokio::spawn(async move {
            connection(url, page, until, shared).await
        }));
    }
    for task in tasks {
        task.await??;
    }
    let mut report = std::mem::take(&mut *shared.report.lock().await);
    report.connections = options.connections;
    report.elapsed_seconds = started.elapsed().as_secs_f64();
    let h = shared.latency.lock().await;
    let ms = |v: u64| v as f64 / 1000.0;
    report.latency_ms = [
        ("p50", ms(h.value_at_quantile(0.5))),
        ("p99", ms(h.value_at_quantile(0.99))),
        ("max", ms(h.max())),
    ]
    .into_iter()
    .collect();
    Ok(report)
}

/// One connection (the client keeps one kept-alive socket): form, then posts.
async fn connection(url: String, page: &str, until: Instant, shared: Arc<Shared>) -> Result<()> {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(1)
        .timeout(Duration::from_secs(30))
        .build()?;
    let mut form: Option<(String, String)> = None;
    while Instant::now() < until {
        let (cookie, csrf) = match &form {
            Some(f) => f.clone(),
            None => match fetch_form(&http, &url).await {
                Some(f) => form.insert(f).clone(),
                None => {
                    shared.report.lock().await.errors += 1;
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let sent = Instant::now();
        let answer = http
            .post(&url)
            .header("cookie", cookie)
            .form(&[
                ("csrf", csrf.as_str()),
                ("username", "flood"),
                ("password", "wrong password"),
            ])
            .send()
            .await;
        let elapsed = sent.elapsed().as_micros() as u64;
        let mut report = shared.report.lock().await;
        match answer {
            Ok(response) => {
                let status = response.status().as_u16();
                *report
                    .statuses
                    .entry(page.to_string())
                    .or_default()
                    .entry(status)
                    .or_default() += 1;
                drop(report);
                let _ = response.bytes().await;
                let _ = shared.latency.lock().await.record(elapsed.max(1));
                if status == 403 {
                    form = None;
                }
            }
            Err(_) => report.errors += 1,
        }
    }
    Ok(())
}

/// The sign-in form's csrf field and the cookies it set, as a browser keeps them.
async fn fetch_form(http: &reqwest::Client, url: &str) -> Option<(String, String)> {
    let response = http.get(url).send().await.ok()?;
    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok()?.split(';').next().map(str::to_string))
        .collect::<Vec<_>>()
        .join("; ");
    let body = response.text().await.ok()?;
    let csrf = body
        .split_once("name=\"csrf\" value=\"")?
        .1
        .split_once('"')?
        .0
        .to_string();
    Some((cookie, csrf))
}
