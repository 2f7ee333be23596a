//! `[webauthn]`: the relying party passkeys are registered with.

use super::reader::Reader;

/// The relying party: RP ID, name and the web origins allowed to use it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebauthnConfig {
    /// `webauthn.rp_id`; default: the host of `public_url` (else `localhost`).
    pub rp_id: String,
    /// `webauthn.rp_name`; `None`: the account name (`push.account_name`).
    pub rp_name: Option<String>,
    /// `webauthn.origins`; default: `public_url`'s origin (else
    /// `http://localhost:PORT` of the listen address).
    pub origins: Vec<String>,
    /// Whether `webauthn.rp_id` or `webauthn.origins` was set (rather than
    /// derived from `public_url`): a wrong derived one only turns passkeys off.
    pub configured: bool,
}

pub fn read(r: &mut Reader, listen: &str) -> WebauthnConfig {
    let public = r
        .text("public_url")
        .and_then(|u| origin_of(&u))
        .unwrap_or_else(|| {
            let port = listen.rsplit_once(':').map_or("8080", |(_, p)| p);
            format!("http://localhost:{port}")
        });
    let listed = r.list("webauthn.origins");
    let named = r.text("webauthn.rp_id");
    let configured = !listed.is_empty() || named.is_some();
    let origins = match listed {
        list if list.is_empty() => vec![public.clone()],
        list => list
            .into_iter()
            .map(|o| o.trim().trim_end_matches('/').to_ascii_lowercase())
            .collect(),
    };
    let rp_id = named
        .map(|id| id.trim().to_ascii_lowercase())
        .unwrap_or_else(|| host_of(&public).to_string());
    WebauthnConfig {
        rp_id,
        rp_name: r.text("webauthn.rp_name"),
        origins,
        configured,
    }
}

/// `scheme://host[:port]` of a URL, lowercased, without path.
pub fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
    (!authority.is_empty()).then(|| format!("{}://{}", scheme, authority).to_ascii_lowercase())
}

/// The host of an origin (no scheme, no port; IPv6 brackets kept).
pub fn host_of(origin: &str) -> &str {
    let rest = origin.split_once("://").map_or(origin, |(_, r)| r);
    if rest.starts_with('[') {
        return rest.split_inclusive(']').next().unwrap_or(rest);
    }
    rest.split(':').next().unwrap_or(rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_and_hosts_come_from_urls() {
        assert_eq!(
            origin_of("https://MFA.example.org/portal").as_deref(),
            Some("https://mfa.example.org")
        );
        assert_eq!(
            origin_of("http://localhost:8080").as_deref(),
            Some("http://localhost:8080")
        );
        assert_eq!(host_of("http://localhost:8080"), "localhost");
        assert_eq!(host_of("https://mfa.example.org"), "mfa.example.org");
        assert_eq!(origin_of("not a url"), None);
    }
}
