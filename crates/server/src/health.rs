//! `countersign health`: asks this node's own listener for `/healthz` and
//! exits 0 when it answers 200, for container health checks (the image has
//! no shell and no curl).

use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result};

use crate::config::Config;

pub async fn check(config: &Config) -> Result<ExitCode> {
    let url = own_url(config);
    // The node's own certificate may be self-signed or name another host:
    // this asks whether the process answers, not whether clients trust it.
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .danger_accept_invalid_certs(true)
        .build()
        .context("cannot build an HTTP client")?;
    match client.get(&url).send().await {
        Ok(reply) if reply.status().is_success() => {
            println!("healthy: {url} answered {}", reply.status());
            Ok(ExitCode::SUCCESS)
        }
        Ok(reply) => {
            eprintln!("unhealthy: {url} answered {}", reply.status());
            Ok(ExitCode::FAILURE)
        }
        Err(e) => {
            eprintln!("unhealthy: {url} does not answer: {e}");
            Ok(ExitCode::FAILURE)
        }
    }
}

/// `http(s)://ADDR/healthz` for the configured listener, with an unspecified
/// address (0.0.0.0, [::]) replaced by loopback.
fn own_url(config: &Config) -> String {
    let scheme = if config.tls_cert.is_some() {
        "https"
    } else {
        "http"
    };
    let address = match config.listen.parse::<std::net::SocketAddr>() {
        Ok(a) if a.ip().is_unspecified() && a.is_ipv4() => format!("127.0.0.1:{}", a.port()),
        Ok(a) if a.ip().is_unspecified() => format!("[::1]:{}", a.port()),
        _ => config.listen.clone(),
    };
    format!("{scheme}://{address}/healthz")
}
