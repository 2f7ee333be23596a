//! The welcome messages new users get: their policy from the configuration.

use countersign_domain::sync::welcome::{Welcome, WelcomePolicy};

use super::{Base, MessagingParts, PushParts};
use crate::config::Config;

/// The welcome messages new users get, with a portal link in them.
pub(super) fn build_welcome(
    config: &Config,
    base: &Base,
    messaging: &MessagingParts,
    push: &PushParts,
    portal: &countersign_domain::portal::Portal,
) -> Welcome {
    Welcome::new(
        base.store.clone(),
        messaging.outbox.clone(),
        messaging.composer.clone(),
        push.push.clone(),
        welcome_policy(config),
    )
    .with_portal(portal.clone())
}

fn welcome_policy(config: &Config) -> WelcomePolicy {
    WelcomePolicy {
        enabled: config.messaging.welcome,
        attachments: config
            .messaging
            .attachments
            .iter()
            .map(|p| p.display().to_string())
            .collect(),
        service_url: config
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}/", config.listen)),
        pin: crate::serve::served_pin(config),
        account_name: config.push.account_name.clone(),
    }
}
