//! The `[push]` and `[web_push]` sections.

use countersign_domain::methods::push::policy::PushPolicy;

use super::reader::Reader;
use super::WebPushConfig;

pub fn policy(r: &mut Reader) -> PushPolicy {
    PushPolicy {
        number_matching: r.flag("push.number_matching"),
        pin_required: r.flag("push.pin_required"),
        per_minute: r.int("push.per_minute", 1, 60) as u32,
        per_hour: r.int("push.per_hour", 1, 1000) as u32,
        timeout_seconds: r.int("push.timeout_seconds", 5, 600),
        fraud_blocks_user: r.flag("push.fraud_blocks_user"),
        device_limit: r.int("push.device_limit", 1, 10) as u32,
        activation_minutes: r.int("push.activation_minutes", 1, 1440),
        offline_codes: r.flag("push.offline_codes"),
        account_name: r
            .text("push.account_name")
            .unwrap_or_else(|| "Countersign".into()),
    }
}

/// The VAPID subject defaults to an https `public_url`, else a local mailto.
pub fn web_push(r: &mut Reader<'_>) -> WebPushConfig {
    let public = r.text("public_url").filter(|u| u.starts_with("https://"));
    let subject = r
        .text("web_push.subject")
        .or(public)
        .unwrap_or_else(|| "mailto:countersign@localhost".into());
    if !(subject.starts_with("mailto:") || subject.starts_with("https://")) {
        r.problems.push(format!(
            "web_push.subject: '{subject}' must be a mailto: or https: contact, e.g. mailto:ops@example.org"
        ));
    }
    WebPushConfig {
        enabled: r.flag("web_push.enabled"),
        subject,
        allow_http: r.flag("web_push.allow_http"),
        allowed_networks: allowed_networks(r),
    }
}

/// `web_push.allowed_networks`: internal addresses endpoints may reach.
fn allowed_networks(r: &mut Reader<'_>) -> Vec<countersign_domain::model::net::IpNet> {
    let mut nets = Vec::new();
    for text in r.list("web_push.allowed_networks") {
        match text.parse() {
            Ok(net) => nets.push(net),
            Err(e) => r.problems.push(format!("web_push.allowed_networks: {e}")),
        }
    }
    nets
}
