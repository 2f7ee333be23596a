//! `[sso]`: single sign-on at `/sso` and forward auth: the parent domain
//! the session cookie covers and the hosts that require groups
//! (`[[sso.hosts]]`). The session limits are stored settings
//! (`sso_idle_minutes`, `sso_absolute_hours`).

use std::collections::BTreeMap;

use countersign_domain::sso::{bare_host, host_under, HostRule, SsoPolicy};
use toml::Value;

use super::reader::Reader;

const FIELDS: &[&str] = &["host", "groups"];

/// The rules of `/sso`; `public_url` as the portal's links use it.
pub(super) fn read(
    r: &mut Reader,
    values: &BTreeMap<&'static str, Value>,
    public_url: &str,
) -> SsoPolicy {
    let cookie_domain = r.text("sso.cookie_domain").map(|d| {
        let domain = d.trim().trim_start_matches('.').to_ascii_lowercase();
        if domain.is_empty() || domain.contains(['/', ':', ' ']) || !domain.contains('.') {
            r.problems.push(format!(
                "sso.cookie_domain: '{d}' is not a domain like example.com (no scheme, port or path)"
            ));
        }
        domain
    });
    SsoPolicy {
        public_url: public_url.trim_end_matches('/').to_string(),
        cookie_domain,
        hosts: hosts(values, r.problems),
    }
}

fn hosts(values: &BTreeMap<&'static str, Value>, problems: &mut Vec<String>) -> Vec<HostRule> {
    let Some(tables) = values.get("sso.hosts").and_then(Value::as_array) else {
        return Vec::new();
    };
    let mut rules = Vec::new();
    for (i, table) in tables.iter().filter_map(Value::as_table).enumerate() {
        match host(table, &format!("sso.hosts[{i}]")) {
            Ok(rule) => rules.push(rule),
            Err(problem) => problems.push(problem),
        }
    }
    rules
}

fn host(table: &toml::Table, at: &str) -> Result<HostRule, String> {
    if let Some(unknown) = table.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        return Err(format!(
            "{at}.{unknown}: unknown key (known: {})",
            FIELDS.join(", ")
        ));
    }
    let host = table
        .get("host")
        .and_then(Value::as_str)
        .map(bare_host)
        .filter(|h| !h.is_empty() && !h.contains('/'))
        .ok_or_else(|| format!("{at}.host: required, a host name like wiki.example.com"))?;
    let groups = match table.get("groups") {
        None => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|g| g.as_str().map(|g| g.trim().to_string()))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| format!("{at}.groups: a list of group names like [\"admins\"]"))?,
        Some(Value::String(one)) => vec![one.trim().to_string()],
        Some(_) => {
            return Err(format!(
                "{at}.groups: a list of group names like [\"admins\"]"
            ))
        }
    };
    Ok(HostRule { host, groups })
}

/// What `doctor` says of the cookie domain and the hosts, given `public_url`'s host.
pub fn findings(policy: &SsoPolicy) -> Vec<String> {
    let mut out = Vec::new();
    let public_host = policy.public_host();
    if let (Some(domain), Some(public)) = (&policy.cookie_domain, &public_host) {
        if !host_under(public, domain) {
            out.push(format!(
                "sso.cookie_domain {domain} does not cover public_url's host {public}: \
                 the session cookie is never sent to /sso"
            ));
        }
    }
    for rule in &policy.hosts {
        let covered = match (&policy.cookie_domain, &public_host) {
            (Some(domain), _) => host_under(&rule.host, domain),
            (None, Some(public)) => rule.host == *public,
            (None, None) => false,
        };
        if !covered {
            out.push(format!(
                "[[sso.hosts]] {} is not under sso.cookie_domain: browsers never send it the /sso cookie",
                rule.host
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(domain: Option<&str>, hosts: &[&str]) -> SsoPolicy {
        SsoPolicy {
            public_url: "https://mfa.example.com".into(),
            cookie_domain: domain.map(str::to_string),
            hosts: hosts
                .iter()
                .map(|h| HostRule {
                    host: h.to_string(),
                    groups: vec![],
                })
                .collect(),
        }
    }

    #[test]
    fn the_cookie_domain_must_cover_public_url_and_the_hosts() {
        assert!(findings(&policy(Some("example.com"), &["wiki.example.com"])).is_empty());
        assert_eq!(findings(&policy(Some("example.org"), &[])).len(), 1);
        assert_eq!(
            findings(&policy(Some("example.com"), &["wiki.example.org"])).len(),
            1
        );
        assert_eq!(findings(&policy(None, &["wiki.example.com"])).len(), 1);
    }
}
