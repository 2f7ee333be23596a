//! What is really served at public_url: the chain a client receives, the
//! protocol versions accepted, and the API answering with this version.

use async_trait::async_trait;
use countersign_domain::ports::diagnostics::Finding;

use super::certificate::analyse_chain;
use super::tls_probe::{handshake, legacy_accepted};
use super::{Check, Doctor};
use crate::config::Config;

pub fn register(doctor: &mut Doctor) {
    doctor.register(Box::new(ServedCheck));
}

struct ServedCheck;

#[async_trait]
impl Check for ServedCheck {
    async fn run(&self, config: &Config) -> Vec<Finding> {
        let Some(url) = config
            .public_url
            .as_deref()
            .and_then(|u| url::Url::parse(u).ok())
        else {
            return vec![Finding::warn(
                "served.api",
                "public_url is not set, so what users reach cannot be checked",
                "set public_url (COUNTERSIGN_PUBLIC_URL) to the address users and devices reach",
            )];
        };
        let host = url
            .host_str()
            .unwrap_or_default()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let port = url.port_or_known_default().unwrap_or(443);
        let mut findings = Vec::new();
        if url.scheme() == "https" {
            findings.extend(served_chain(config, &host, port).await);
            findings.push(versions(&host, port).await);
        }
        findings.push(api(&url).await);
        findings
    }
}

async fn served_chain(config: &Config, host: &str, port: u16) -> Vec<Finding> {
    let chain = match handshake(host, port, &rustls::version::TLS13).await {
        Ok(chain) => chain,
        Err(_) => match handshake(host, port, &rustls::version::TLS12).await {
            Ok(chain) => chain,
            Err(e) => {
                return vec![Finding::fail(
                    "served.tls",
                    format!("no TLS handshake with {host}:{port}: {e}"),
                    "check that the server (or proxy) at public_url listens and serves HTTPS",
                )]
            }
        },
    };
    let configured = config
        .tls_cert
        .as_deref()
        .and_then(|p| crate::tls::read_chain(p).ok());
    match configured {
        Some(configured) if configured == chain => vec![Finding::pass("served.chain", format!("{host}:{port} serves the configured chain ({} certificate(s))", chain.len()))],
        Some(configured) => vec![Finding::fail(
            "served.chain",
            format!("{host}:{port} serves a different chain ({} certificate(s)) than tls.cert ({})", chain.len(), configured.len()),
            "a proxy in front serves its own certificate, or the server still has the old one: fix the proxy or send SIGHUP",
        )],
        // TLS ends at a proxy: judge what it serves.
        None => analyse_chain("served", &chain, Some(host)),
    }
}

async fn versions(host: &str, port: u16) -> Finding {
    let tls12 = handshake(host, port, &rustls::version::TLS12).await.is_ok();
    let tls13 = handshake(host, port, &rustls::version::TLS13).await.is_ok();
    let tls10 = legacy_accepted(host, port, 0x0301).await.unwrap_or(false);
    let tls11 = legacy_accepted(host, port, 0x0302).await.unwrap_or(false);
    if tls10 || tls11 {
        return Finding::fail(
            "served.versions",
            format!("{host}:{port} still accepts {}", if tls10 { "TLS 1.0" } else { "TLS 1.1" }),
            "turn off TLS 1.0 and 1.1 at whatever terminates TLS (Countersign itself never offers them)",
        );
    }
    match (tls12, tls13) {
        (true, true) => Finding::pass(
            "served.versions",
            "TLS 1.2 and 1.3 accepted; 1.0 and 1.1 refused",
        ),
        (false, true) => Finding::warn(
            "served.versions",
            "only TLS 1.3 is accepted",
            "older devices need TLS 1.2: enable it at the proxy",
        ),
        (true, false) => Finding::warn(
            "served.versions",
            "TLS 1.3 is not accepted",
            "enable TLS 1.3 at the proxy",
        ),
        (false, false) => Finding::fail(
            "served.versions",
            "neither TLS 1.2 nor 1.3 completes",
            "check the certificate and the TLS settings at public_url",
        ),
    }
}

async fn api(url: &url::Url) -> Finding {
    let health = match url.join("healthz") {
        Ok(u) => u,
        Err(e) => return Finding::fail("served.api", e.to_string(), "correct public_url"),
    };
    // Trust is judged by the certificate checks; this one asks who answers.
    let client = reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .timeout(std::time::Duration::from_secs(10))
        .build();
    let answer = match client {
        Ok(client) => client.get(health.clone()).send().await,
        Err(e) => return Finding::fail("served.api", e.to_string(), "report this as a bug"),
    };
    let body: serde_json::Value = match answer {
        Ok(response) if response.status().is_success() => response.json().await.unwrap_or_default(),
        Ok(response) => {
            return Finding::fail(
                "served.api",
                format!("{health} answered {}", response.status()),
                "check that public_url reaches Countersign and not another service",
            )
        }
        Err(e) => {
            return Finding::fail(
                "served.api",
                format!("{health} did not answer: {e}"),
                "start the server, or fix public_url, DNS or the proxy",
            )
        }
    };
    let ours = env!("CARGO_PKG_VERSION");
    match body.get("version").and_then(|v| v.as_str()) {
        Some(v) if v == ours => {
            Finding::pass("served.api", format!("{health} answers, version {v}"))
        }
        Some(v) => Finding::warn(
            "served.api",
            format!("{health} runs version {v}, this binary is {ours}"),
            "upgrade every node to the same version",
        ),
        None => Finding::fail(
            "served.api",
            format!("{health} answers, but not as Countersign"),
            "check that public_url reaches Countersign",
        ),
    }
}
