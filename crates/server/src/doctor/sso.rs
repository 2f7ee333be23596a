//! Single sign-on: `public_url` (the `/sso` pages' and the OpenID
//! Provider's address) is https, and `sso.cookie_domain` covers
//! `public_url`'s host and every `[[sso.hosts]]` host.

use async_trait::async_trait;
use countersign_domain::ports::diagnostics::Finding;

use super::{Check, Doctor};
use crate::config::Config;

pub fn register(doctor: &mut Doctor) {
    doctor.register(Box::new(SsoCheck));
}

struct SsoCheck;

#[async_trait]
impl Check for SsoCheck {
    async fn run(&self, config: &Config) -> Vec<Finding> {
        vec![public_url(config), cookie_domain(config)]
    }
}

fn public_url(config: &Config) -> Finding {
    const CHECK: &str = "sso.public_url";
    let url = config.sso.public_url.as_str();
    if url.to_ascii_lowercase().starts_with("https://") {
        return Finding::pass(CHECK, format!("/sso and the OpenID Provider are at {url}"));
    }
    Finding::warn(
        CHECK,
        format!(
            "public_url {url} is not https: /sso session cookies and passwords travel in the clear"
        ),
        "set public_url to the https address users reach, e.g. https://mfa.example.org",
    )
}

fn cookie_domain(config: &Config) -> Finding {
    const CHECK: &str = "sso.cookie_domain";
    let problems = crate::config::sso::findings(&config.sso);
    if problems.is_empty() {
        let covered = match &config.sso.cookie_domain {
            Some(domain) => format!("the /sso cookie covers {domain} and every host under it"),
            None => {
                "the /sso cookie covers public_url's host only (sso.cookie_domain unset)".into()
            }
        };
        return Finding::pass(
            CHECK,
            format!("{covered}; {} host rule(s)", config.sso.hosts.len()),
        );
    }
    Finding::fail(
        CHECK,
        problems.join("; "),
        "set sso.cookie_domain to the parent domain of public_url's host and of every [[sso.hosts]] host",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use countersign_domain::ports::diagnostics::Status;

    fn config(public_url: &str, domain: Option<&str>) -> Config {
        let mut config =
            crate::config::load_with_env(&crate::config::Overrides::default(), &|_| None)
                .expect("the default configuration");
        config.sso.public_url = public_url.into();
        config.sso.cookie_domain = domain.map(str::to_string);
        config
    }

    #[test]
    fn http_warns_and_a_foreign_cookie_domain_fails() {
        assert_eq!(
            public_url(&config("http://127.0.0.1:8080", None)).status,
            Status::Warn
        );
        assert_eq!(
            public_url(&config("https://mfa.example.com", None)).status,
            Status::Pass
        );
        let good = config("https://mfa.example.com", Some("example.com"));
        assert_eq!(cookie_domain(&good).status, Status::Pass);
        let bad = config("https://mfa.example.com", Some("example.org"));
        assert_eq!(cookie_domain(&bad).status, Status::Fail);
    }
}
