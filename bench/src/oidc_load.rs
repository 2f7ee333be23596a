//! `oidc-load`: code-to-token exchanges per second at `POST /sso/token`.
//! Setup (not timed), all through the real doors: a user with an HOTP
//! token (API), a portal password (the enrol link from the CLI, the
//! portal's pages), one sign-in at `/sso` (password and code), then
//! `--codes` authorization requests with PKCE at `/sso/authorize`, each
//! answered with a code. Timed: every code exchanged (client_secret_basic,
//! the S256 verifier), `--concurrency` at once. See docs/benchmarks.md.

mod cpu;

use std::collections::HashMap;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clap::Parser;
use serde_json::{json, Value};

const CB: &str = "http://127.0.0.1:9/bench/cb";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const SECRET: &[u8] = b"12345678901234567890";
const PASSWORD: &str = "bench portal password";

#[derive(Debug, Parser)]
#[command(about = "Code-to-token exchanges per second through POST /sso/token")]
struct Options {
    #[arg(long, default_value = "http://127.0.0.1:18080")]
    url: String,
    /// An API key with the admin scope.
    #[arg(long, env = "COUNTERSIGN_API_KEY", hide_env_values = true)]
    api_key: String,
    /// The client (registered with redirect URI http://127.0.0.1:9/bench/cb).
    #[arg(long, default_value = "bench")]
    client_id: String,
    #[arg(long, env = "COUNTERSIGN_CLIENT_SECRET", hide_env_values = true)]
    client_secret: String,
    /// The countersign binary and data directory, for `user enrol-link`.
    #[arg(long)]
    countersign: String,
    #[arg(long)]
    data_dir: String,
    #[arg(long, default_value_t = 20_000)]
    codes: usize,
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    #[arg(long)]
    server_pid: Option<u32>,
}

/// A browser: cookies kept, redirects not followed.
struct Browser {
    http: reqwest::Client,
    url: String,
    cookies: HashMap<String, String>,
}

struct Page {
    status: u16,
    location: String,
    body: String,
}

impl Page {
    fn csrf(&self) -> String {
        between(&self.body, "name=\"csrf\" value=\"", "\"")
    }
}

fn between(text: &str, start: &str, end: &str) -> String {
    text.split_once(start)
        .and_then(|(_, r)| r.split_once(end))
        .map(|(f, _)| f.to_string())
        .unwrap_or_default()
}

impl Browser {
    async fn send(&mut self, req: reqwest::RequestBuilder) -> Result<Page> {
        let cookie: Vec<String> = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let reply = req.header("cookie", cookie.join("; ")).send().await?;
        for value in reply.headers().get_all("set-cookie") {
            let value = value.to_str().unwrap_or_default();
            if let Some((name, rest)) = value.split_once('=') {
                self.cookies.insert(
                    name.into(),
                    rest.split(';').next().unwrap_or_default().into(),
                );
            }
        }
        let status = reply.status().as_u16();
        let location = reply
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        Ok(Page {
            status,
            location,
            body: reply.text().await.unwrap_or_default(),
        })
    }

    async fn get(&mut self, path: &str) -> Result<Page> {
        let req = self.http.get(format!("{}{path}", self.url));
        self.send(req).await
    }

    async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Result<Page> {
        let req = self.http.post(format!("{}{path}", self.url)).form(form);
        self.send(req).await
    }
}

fn hotp(counter: u64) -> String {
    countersign_otp::hotp(SECRET, counter, 6, countersign_otp::Algorithm::Sha1)
}

/// The user, their portal password and one `/sso` session.
async fn signed_in(o: &Options, http: &reqwest::Client, name: &str) -> Result<Browser> {
    let api = |path: &str| format!("{}/api/v1{path}", o.url);
    let made = http
        .post(api("/users"))
        .bearer_auth(&o.api_key)
        .json(&json!({"username": name}))
        .send()
        .await?;
    if made.status().as_u16() != 201 {
        bail!("creating the user: {}", made.text().await?);
    }
    let secret = data_encoding::BASE32_NOPAD.encode(SECRET);
    let token = json!({"type": "hotp", "secret": secret});
    http.post(api(&format!("/users/{name}/tokens")))
        .bearer_auth(&o.api_key)
        .json(&token)
        .send()
        .await?
        .error_for_status()?;
    let out = std::process::Command::new(&o.countersign)
        .args([
            "--data-dir",
            &o.data_dir,
            "--json",
            "user",
            "enrol-link",
            name,
        ])
        .output()?;
    let link: Value = serde_json::from_slice(&out.stdout).context("enrol-link printed no JSON")?;
    let link = link["url"].as_str().context("no url")?;
    let link = &link[link.find("/portal/link/").context("no portal link")?..];
    let mut b = Browser {
        http: http.clone(),
        url: o.url.clone(),
        cookies: HashMap::new(),
    };
    let page = b.get(link).await?;
    b.post(link, &[("csrf", &page.csrf())]).await?;
    let verify = b.get("/portal/verify").await?;
    b.post(
        "/portal/verify",
        &[("csrf", &verify.csrf()), ("code", &hotp(0))],
    )
    .await?;
    let form = b.get("/portal/secret/password").await?;
    let saved = b
        .post(
            "/portal/secret/password",
            &[
                ("csrf", &form.csrf()),
                ("value", PASSWORD),
                ("again", PASSWORD),
            ],
        )
        .await?;
    if !saved.location.contains("password_set") {
        bail!(
            "setting the portal password: {} {}",
            saved.status,
            saved.location
        );
    }
    let mut sso = Browser {
        http: http.clone(),
        url: o.url.clone(),
        cookies: HashMap::new(),
    };
    let form = sso.get("/sso").await?;
    let after = sso
        .post(
            "/sso",
            &[
                ("csrf", &form.csrf()),
                ("username", name),
                ("password", PASSWORD),
                ("rd", ""),
            ],
        )
        .await?;
    if after.location != "/sso/verify" {
        bail!("the /sso password step: {} {}", after.status, after.body);
    }
    let verify = sso.get("/sso/verify").await?;
    let done = sso
        .post(
            "/sso/verify",
            &[("csrf", &verify.csrf()), ("code", &hotp(1))],
        )
        .await?;
    if done.status != 303 && done.status != 200 {
        bail!("the /sso code step: {} {}", done.status, done.body);
    }
    Ok(sso)
}

async fn codes(o: &Options, sso: &Browser) -> Result<Vec<String>> {
    let cookie: Vec<String> = sso
        .cookies
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    let cookie = Arc::new(cookie.join("; "));
    let path = Arc::new(format!(
        "{}/sso/authorize?response_type=code&client_id={}&redirect_uri={}&scope=openid+profile+email&state=s&nonce=n&code_challenge={CHALLENGE}&code_challenge_method=S256",
        o.url, o.client_id, url::form_urlencoded::byte_serialize(CB.as_bytes()).collect::<String>()
    ));
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let (http, cookie, path, next, total) = (
            sso.http.clone(),
            cookie.clone(),
            path.clone(),
            next.clone(),
            o.codes,
        );
        tasks.push(tokio::spawn(async move {
            let mut got = Vec::new();
            while next.fetch_add(1, Ordering::Relaxed) < total {
                let reply = http
                    .get(path.as_str())
                    .header("cookie", cookie.as_str())
                    .send()
                    .await?;
                let location = reply
                    .headers()
                    .get("location")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_string();
                let code = url::Url::parse(&location).ok().and_then(|u| {
                    u.query_pairs()
                        .find(|(k, _)| k == "code")
                        .map(|(_, v)| v.into_owned())
                });
                got.push(code.with_context(|| format!("no code in '{location}'"))?);
            }
            anyhow::Ok(got)
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await??);
    }
    Ok(all)
}

#[tokio::main]
async fn main() -> ExitCode {
    match run(Options::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("oidc-load: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(o: Options) -> Result<()> {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(o.concurrency)
        .build()?;
    let name = format!("bench-oidc-{}", std::process::id());
    let sso = signed_in(&o, &http, &name).await?;
    let made = Instant::now();
    let codes = Arc::new(codes(&o, &sso).await?);
    println!(
        "setup: {} codes made through /sso/authorize in {:.1} s",
        codes.len(),
        made.elapsed().as_secs_f64()
    );
    let next = Arc::new(AtomicUsize::new(0));
    let url = Arc::new(format!("{}/sso/token", o.url));
    let (cpu_self, cpu_server, cpu_machine) = (
        cpu::used_by_self(),
        o.server_pid.and_then(cpu::used_by),
        cpu::machine_busy(),
    );
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..o.concurrency {
        let (http, codes, next, url) = (http.clone(), codes.clone(), next.clone(), url.clone());
        let (id, secret) = (o.client_id.clone(), o.client_secret.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut failed = 0u64;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(code) = codes.get(i) else { break };
                let t = Instant::now();
                let form = [
                    ("grant_type", "authorization_code"),
                    ("code", code.as_str()),
                    ("redirect_uri", CB),
                    ("code_verifier", VERIFIER),
                ];
                let ok = match http
                    .post(url.as_str())
                    .basic_auth(&id, Some(&secret))
                    .form(&form)
                    .send()
                    .await
                {
                    Ok(r) => {
                        r.status().is_success()
                            && r.json::<Value>()
                                .await
                                .is_ok_and(|v| v["id_token"].is_string())
                    }
                    Err(_) => false,
                };
                latencies.push(t.elapsed());
                failed += u64::from(!ok);
            }
            (latencies, failed)
        }));
    }
    let mut latencies: Vec<Duration> = Vec::new();
    let mut failed = 0;
    for t in tasks {
        let (l, f) = t.await?;
        latencies.extend(l);
        failed += f;
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort();
    let pct = |p: f64| {
        latencies
            .get(((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1)))
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    let n = latencies.len() as f64;
    let server_cpu =
        cpu::spent(cpu_server, o.server_pid.and_then(cpu::used_by)).map(|d| d.as_secs_f64());
    let report = json!({
        "exchanges": latencies.len(), "failed": failed, "concurrency": o.concurrency,
        "elapsed_seconds": elapsed, "exchanges_per_second": n / elapsed,
        "latency_ms": {"p50": pct(0.5), "p90": pct(0.9), "p99": pct(0.99), "max": pct(1.0)},
        "server_cpu_seconds": server_cpu,
        "server_cpu_us_per_exchange": server_cpu.map(|s| s * 1e6 / n),
        "load_generator_cpu_seconds": cpu::spent(cpu_self, cpu::used_by_self()).map(|d| d.as_secs_f64()),
        "machine_cpu_seconds": cpu::spent(cpu_machine, cpu::machine_busy()).map(|d| d.as_secs_f64()),
    });
    println!("{}", serde_json::to_string_pretty(&report)?);
    println!(
        "{:.0} code-to-token exchanges/s ({} failed), p50 {:.2} ms, p99 {:.2} ms",
        n / elapsed,
        failed,
        pct(0.5),
        pct(0.99)
    );
    if failed > 0 {
        bail!("{failed} exchanges failed");
    }
    Ok(())
}
