//! The `[http]` and `[tls]` sections and `public_url`: where and how the
//! web doors listen.

use countersign_web::proxy::{ForwardedHeader, IpNet};

use super::reader::Reader;
use super::Config;

/// `http.listen`, which must be an address:port.
pub fn listen(r: &mut Reader) -> String {
    let listen = r.text("http.listen").unwrap_or_default();
    if listen.parse::<std::net::SocketAddr>().is_err() {
        r.problems.push(format!(
            "http.listen: '{listen}' is not an address:port like 127.0.0.1:8080"
        ));
    }
    listen
}

pub fn trusted_proxies(r: &mut Reader) -> Vec<IpNet> {
    let mut nets = Vec::new();
    for text in r.list("http.trusted_proxies") {
        match text.parse::<IpNet>() {
            Ok(net) => nets.push(net),
            Err(e) => r.problems.push(format!("http.trusted_proxies: {e}")),
        }
    }
    nets
}

/// `metrics.listen`, an address:port when set.
pub fn metrics_listen(r: &mut Reader) -> Option<String> {
    let listen = r.text("metrics.listen")?;
    if listen.parse::<std::net::SocketAddr>().is_err() {
        r.problems.push(format!(
            "metrics.listen: '{listen}' is not an address:port like 127.0.0.1:9464"
        ));
    }
    Some(listen)
}

/// `http.forwarded_header`: the one header believed from trusted proxies.
pub fn forwarded_header(r: &mut Reader) -> ForwardedHeader {
    let text = r
        .text("http.forwarded_header")
        .unwrap_or_else(|| "x-forwarded-for".into());
    ForwardedHeader::parse(&text).unwrap_or_else(|| {
        r.problems.push(format!(
            "http.forwarded_header: '{text}' is not x-forwarded-for or forwarded; \
             name the header your proxy sets (nginx: X-Forwarded-For)"
        ));
        ForwardedHeader::default()
    })
}

/// The rules between keys: a certificate needs its key, `public_url` must
/// be an http(s) URL, and proxy mode needs the proxies' addresses.
pub fn check_tls_and_url(config: &Config, problems: &mut Vec<String>) {
    if config.tls_cert.is_some() != config.tls_key.is_some() {
        problems.push("tls.cert and tls.key: set both (HTTPS) or neither (plain HTTP)".to_string());
    }
    if let Some(url) = &config.public_url {
        let ok = url::Url::parse(url)
            .map(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
            .unwrap_or(false);
        if !ok {
            problems.push(format!(
                "public_url: '{url}' is not an http(s) URL like https://mfa.example.org"
            ));
        }
    }
    if config.behind_proxy && config.trusted_proxies.is_empty() {
        problems.push(
            "http.trusted_proxies: list the proxy addresses when http.behind_proxy = true"
                .to_string(),
        );
    }
}
