//! The OpenID Provider: `public_url` (the issuer) over https, the signing
//! keys present and usable, each client's redirect URIs https or loopback.

use std::sync::Arc;

use async_trait::async_trait;
use countersign_domain::oidc::{ClientView, OidcProvider};
use countersign_domain::ports::diagnostics::Finding;
use countersign_domain::SystemClock;

use super::{Check, Doctor};
use crate::config::Config;
use crate::secret_key;

pub fn register(doctor: &mut Doctor) {
    doctor.register(Box::new(OidcCheck));
}

struct OidcCheck;

#[async_trait]
impl Check for OidcCheck {
    async fn run(&self, config: &Config) -> Vec<Finding> {
        let mut findings = Vec::new();
        // The store check reports a store or key that does not open.
        let Some(provider) = provider(config).await else {
            return findings;
        };
        let clients = provider.clients.list().await.unwrap_or_default();
        let keys = provider.keys.list().await.unwrap_or_default();
        if clients.is_empty() && keys.is_empty() {
            return findings;
        }
        findings.push(issuer(config));
        let active: Vec<_> = keys.iter().filter(|k| k.retired_at.is_none()).collect();
        match (active.iter().any(|k| k.alg == "ES256"), keys.iter().find(|k| !k.usable)) {
            (_, Some(bad)) => findings.push(Finding::fail("oidc.keys", format!("signing key {} ({}) does not open or sign", bad.kid, bad.alg),
                "the encryption key is not the one the key was sealed with; restore it, or run `countersign oidc keys rotate`")),
            (false, None) => findings.push(Finding::warn("oidc.keys", "no ES256 signing key yet", "`countersign serve` makes it at start (or run `countersign oidc keys rotate`)")),
            (true, None) => findings.push(Finding::pass("oidc.keys", format!("{} signing key(s) usable ({} active)", keys.len(), active.len()))),
        }
        for client in &clients {
            findings.push(redirects(client));
        }
        findings
    }
}

async fn provider(config: &Config) -> Option<OidcProvider> {
    let key = secret_key::read_existing(config).ok()??;
    let store = super::store::open_for_check(&config.database_url)
        .await
        .ok()?
        .ok()?;
    let issuer = config.public_url.clone().unwrap_or_default();
    Some(OidcProvider::new(
        Arc::new(store),
        Arc::new(SystemClock),
        key,
        &issuer,
    ))
}

fn issuer(config: &Config) -> Finding {
    match config.public_url.as_deref() {
        Some(url) if url.starts_with("https://") => Finding::pass("oidc.issuer", format!("the issuer is {url}")),
        Some(url) => Finding::warn("oidc.issuer", format!("the issuer {url} is not https"), "relying parties expect an https issuer: set public_url to https://... (behind a TLS proxy or with [tls])"),
        None => Finding::warn("oidc.issuer", "no public_url: the issuer is the listen address", "set public_url to the https address applications reach Countersign at"),
    }
}

/// https, or http only to a loopback host (a native app or a test).
pub fn redirect_ok(uri: &str) -> bool {
    if uri.starts_with("https://") {
        return true;
    }
    let Some(rest) = uri.strip_prefix("http://") else {
        return false;
    };
    let authority = rest.split(['/', '?']).next().unwrap_or("");
    let host = match authority.rsplit_once(':') {
        Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => authority,
    };
    matches!(host, "localhost" | "[::1]") || host.starts_with("127.")
}

fn redirects(client: &ClientView) -> Finding {
    let check = format!("oidc.client.{}", client.name);
    let bad: Vec<&String> = client
        .config
        .redirect_uris
        .iter()
        .chain(&client.config.post_logout_redirect_uris)
        .filter(|u| !redirect_ok(u))
        .collect();
    match bad.first() {
        None => Finding::pass(&check, "redirect URIs are https or loopback"),
        Some(uri) => Finding::warn(&check, format!("redirect URI {uri} is neither https nor loopback"),
            format!("codes travel in the redirect: use https (`countersign oidc client remove {}` and add it again)", client.name)),
    }
}

#[cfg(test)]
mod tests {
    use super::redirect_ok;

    #[test]
    fn https_and_loopback_pass_plain_http_elsewhere_does_not() {
        assert!(redirect_ok("https://app.example.org/cb"));
        assert!(redirect_ok("http://127.0.0.1:8080/cb"));
        assert!(redirect_ok("http://localhost/cb"));
        assert!(!redirect_ok("http://app.example.org/cb"));
        assert!(!redirect_ok("http://localhost.evil.org/cb"));
        assert!(!redirect_ok("com.example.app:/cb"));
    }
}
