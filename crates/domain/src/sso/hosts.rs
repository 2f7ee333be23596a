//! Which hosts the `/sso` cookie covers and where a browser may be sent
//! after signing in: pure rules over the configuration, no I/O.

/// `[[sso.hosts]]`: a host behind forward auth and the groups it needs
/// (any one of them; none: every signed-in user).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostRule {
    /// Lowercase, without port.
    pub host: String,
    pub groups: Vec<String>,
}

/// `[sso]` and `public_url`, as the rules need them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SsoPolicy {
    /// `public_url` without a trailing slash (`https://mfa.example.com`).
    pub public_url: String,
    /// `sso.cookie_domain`, lowercase without a leading dot: the session
    /// cookie is sent to it and every host under it.
    pub cookie_domain: Option<String>,
    pub hosts: Vec<HostRule>,
}

impl SsoPolicy {
    /// Whether a browser may be sent to `url` after signing in or out: an
    /// absolute http(s) URL on `public_url`'s origin, or on a host under the
    /// cookie domain (or `public_url`'s host). Anything else (another
    /// domain, a scheme-relative `//evil`, credentials in the URL, control
    /// characters) is refused: no open redirect.
    pub fn redirect_allowed(&self, url: &str) -> bool {
        let Some(target) = Url::parse(url) else {
            return false;
        };
        if let Some(public) = Url::parse(&self.public_url) {
            if target.scheme == public.scheme && target.authority == public.authority {
                return true;
            }
            if target.host == public.host {
                return true;
            }
        }
        self.cookie_domain
            .as_deref()
            .is_some_and(|domain| host_under(&target.host, domain))
    }

    /// Whether `url` is on `public_url`'s own origin. A form's answer may
    /// redirect only there: the pages' CSP says `form-action 'self'`, which
    /// browsers apply to every redirect after a form is sent.
    pub fn on_own_origin(&self, url: &str) -> bool {
        match (Url::parse(url), Url::parse(&self.public_url)) {
            (Some(target), Some(public)) => {
                target.scheme == public.scheme && target.authority == public.authority
            }
            _ => false,
        }
    }

    /// The groups `host` requires (empty: none); the most specific rule wins.
    pub fn groups_for(&self, host: &str) -> &[String] {
        let host = bare_host(host);
        self.hosts
            .iter()
            .find(|rule| rule.host == host)
            .map_or(&[], |rule| &rule.groups)
    }

    /// `public_url`'s host (lowercase, no port).
    pub fn public_host(&self) -> Option<String> {
        Url::parse(&self.public_url).map(|u| u.host)
    }
}

/// Whether `host` is `domain` or a name under it (`a.example.com` under
/// `example.com`; not `badexample.com`).
pub fn host_under(host: &str, domain: &str) -> bool {
    let host = bare_host(host);
    let domain = domain.trim_start_matches('.').to_ascii_lowercase();
    !domain.is_empty()
        && (host == domain
            || host
                .strip_suffix(&domain)
                .is_some_and(|rest| rest.ends_with('.')))
}

/// A host header's host, lowercase, without port or trailing dot.
pub fn bare_host(host: &str) -> String {
    let host = host.trim();
    let host = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or(rest)
    } else {
        host.split(':').next().unwrap_or(host)
    };
    host.trim_end_matches('.').to_ascii_lowercase()
}

/// The parts of an absolute URL the rules look at.
struct Url {
    scheme: String,
    /// `host[:port]`, lowercase.
    authority: String,
    host: String,
}

impl Url {
    fn parse(url: &str) -> Option<Url> {
        if url.len() > 4096 || url.chars().any(|c| c.is_control() || c == '\\' || c == ' ') {
            return None;
        }
        let (scheme, rest) = url.split_once("://")?;
        let scheme = scheme.to_ascii_lowercase();
        if scheme != "http" && scheme != "https" {
            return None;
        }
        let authority = rest.split(['/', '?', '#']).next()?;
        if authority.is_empty() || authority.contains('@') {
            return None;
        }
        Some(Url {
            scheme,
            authority: authority.to_ascii_lowercase(),
            host: bare_host(authority),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(domain: Option<&str>) -> SsoPolicy {
        SsoPolicy {
            public_url: "https://mfa.example.com".into(),
            cookie_domain: domain.map(str::to_string),
            hosts: vec![HostRule {
                host: "admin.example.com".into(),
                groups: vec!["admins".into()],
            }],
        }
    }

    #[test]
    fn redirects_stay_on_our_hosts() {
        let p = policy(Some("example.com"));
        assert!(p.redirect_allowed("https://mfa.example.com/portal"));
        assert!(p.redirect_allowed("https://wiki.example.com/page?x=1"));
        assert!(p.redirect_allowed("http://example.com/"));
        assert!(!p.redirect_allowed("https://example.org/"));
        assert!(!p.redirect_allowed("https://badexample.com/"));
        assert!(!p.redirect_allowed("//evil.org/"));
        assert!(!p.redirect_allowed("/relative"));
        assert!(!p.redirect_allowed("javascript:alert(1)"));
        assert!(!p.redirect_allowed("https://wiki.example.com@evil.org/"));
        assert!(!p.redirect_allowed("https://evil.org\\@wiki.example.com/"));
        assert!(!p.redirect_allowed("https://wiki.example.com\n.evil.org/"));
        let none = policy(None);
        assert!(none.redirect_allowed("https://mfa.example.com:8443/x"));
        assert!(!none.redirect_allowed("https://wiki.example.com/"));
    }

    #[test]
    fn hosts_and_groups() {
        assert!(host_under("A.Example.com:443", "example.com"));
        assert!(host_under("example.com", ".example.com"));
        assert!(!host_under("badexample.com", "example.com"));
        assert!(!host_under("example.com", ""));
        let p = policy(Some("example.com"));
        assert_eq!(
            p.groups_for("admin.example.com:8080"),
            ["admins".to_string()]
        );
        assert!(p.groups_for("wiki.example.com").is_empty());
        assert_eq!(bare_host("[::1]:80"), "::1");
    }
}
