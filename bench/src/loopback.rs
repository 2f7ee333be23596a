//! The load generator only talks to servers on this machine.

use std::net::IpAddr;

use anyhow::{bail, Context, Result};
use reqwest::Url;

/// Parses `url` and checks that it names a loopback address.
pub fn parse(url: &str) -> Result<Url> {
    let parsed = Url::parse(url).with_context(|| format!("--url '{url}' is not a URL"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        bail!("--url must start with http:// or https://");
    }
    let loopback = match parsed.host() {
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    };
    if !loopback {
        bail!("--url must name this machine (127.0.0.1, ::1 or localhost): the load generator never targets other hosts");
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn only_loopback_targets() {
        assert!(parse("http://127.0.0.1:8080").is_ok());
        assert!(parse("http://[::1]:8080/").is_ok());
        assert!(parse("http://localhost:1").is_ok());
        assert!(parse("http://10.0.0.1:8080").is_err());
        assert!(parse("http://example.com").is_err());
        assert!(parse("ftp://127.0.0.1").is_err());
        assert!(parse("not a url").is_err());
    }
}
