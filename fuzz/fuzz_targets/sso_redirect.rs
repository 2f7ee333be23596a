//! Where `/sso` may send a browser (`rd`, forward auth's original URL) and
//! which host a proxied request names: `redirect_allowed`, `host_under` and
//! `bare_host` never panic on any text, and an allowed URL is an http(s)
//! URL whose host is public_url's or under the cookie domain, with nothing
//! in it that a browser reads as another host (`@`, `\`, control
//! characters, a scheme-relative start).
#![no_main]

use countersign_domain::sso::{bare_host, host_under, HostRule, SsoPolicy};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let policy = SsoPolicy {
        public_url: "https://mfa.example.com".into(),
        cookie_domain: Some("example.com".into()),
        hosts: vec![HostRule {
            host: "admin.example.com".into(),
            groups: vec!["admins".into()],
        }],
    };
    let _ = bare_host(text);
    let _ = policy.groups_for(text);
    let _ = host_under(text, "example.com");
    if policy.redirect_allowed(text) {
        let lower = text.to_ascii_lowercase();
        assert!(lower.starts_with("http://") || lower.starts_with("https://"), "{text:?}");
        assert!(!text.chars().any(|c| c.is_control() || c == '\\'), "{text:?}");
        let rest = &text[text.find("://").map_or(0, |i| i + 3)..];
        let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
        assert!(!authority.contains('@'), "{text:?}");
        let allowed = bare_host(authority);
        assert!(allowed == "mfa.example.com" || host_under(&allowed, "example.com"), "{text:?}");
    }
});
