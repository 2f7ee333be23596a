//! Passkeys: `webauthn.rp_id` is a registrable suffix of every origin's
//! host, and every origin is https (or http on localhost), or passkeys
//! are off.

use async_trait::async_trait;
use countersign_domain::ports::diagnostics::Finding;

use super::{Check, Doctor};
use crate::config::Config;

pub fn register(doctor: &mut Doctor) {
    doctor.register(Box::new(WebauthnCheck));
}

struct WebauthnCheck;

#[async_trait]
impl Check for WebauthnCheck {
    async fn run(&self, config: &Config) -> Vec<Finding> {
        vec![judge(config)]
    }
}

const CHECK: &str = "webauthn.relying_party";

fn judge(config: &Config) -> Finding {
    let w = &config.webauthn;
    let problems: Vec<String> = std::iter::once(w.rp_id.as_str())
        .filter(|id| {
            id.parse::<std::net::IpAddr>().is_ok() || !id.contains('.') && *id != "localhost"
        })
        .map(|id| format!("the RP ID {id:?} is not a registrable domain"))
        .chain(w.origins.iter().filter_map(|origin| {
            countersign_webauthn::check_origin(origin, &w.rp_id)
                .err()
                .map(|e| e.to_string())
        }))
        .collect();
    if problems.is_empty() {
        return Finding::pass(
            CHECK,
            format!(
                "passkeys are bound to RP ID {} for {}",
                w.rp_id,
                w.origins.join(", ")
            ),
        );
    }
    let message = format!("passkeys are off: {}", problems.join("; "));
    let fix = "set webauthn.rp_id to the domain users see (e.g. example.org) and webauthn.origins to the \
         https origins under it (or an https public_url whose host is that domain)";
    // Derived from public_url (nothing set under [webauthn]): a server that
    // does not use passkeys is not broken, so it is a warning.
    match w.configured {
        true => Finding::fail(CHECK, message, fix),
        false => Finding::warn(CHECK, message, fix),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(rp_id: &str, origins: &[&str]) -> Config {
        let mut config =
            crate::config::load_with_env(&crate::config::Overrides::default(), &|_| None)
                .expect("the default configuration");
        config.webauthn.rp_id = rp_id.into();
        config.webauthn.origins = origins.iter().map(|o| o.to_string()).collect();
        config.webauthn.configured = true;
        config
    }

    #[test]
    fn origins_must_be_https_under_the_rp_id() {
        use countersign_domain::ports::diagnostics::Status;
        let judged = |rp: &str, origins: &[&str]| judge(&config(rp, origins)).status;
        assert_eq!(
            judged("example.org", &["https://mfa.example.org"]),
            Status::Pass
        );
        assert_eq!(
            judged("localhost", &["http://localhost:8080"]),
            Status::Pass
        );
        assert_eq!(
            judged("example.org", &["http://mfa.example.org"]),
            Status::Fail
        );
        assert_eq!(
            judged("example.org", &["https://mfa.example.net"]),
            Status::Fail
        );
        assert_eq!(judged("10.0.0.1", &["https://10.0.0.1"]), Status::Fail);
        // Derived from an IP public_url, not set: passkeys are off, a warning.
        let mut derived = config("10.0.0.1", &["https://10.0.0.1"]);
        derived.webauthn.configured = false;
        assert_eq!(judge(&derived).status, Status::Warn);
    }
}
