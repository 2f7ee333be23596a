//! Codes and channels: the send limits in force, the country allow-list
//! for texts, and users whose every method needs a channel this server has
//! not configured (they can never sign in: the engine refuses `no_method`).

use async_trait::async_trait;
use countersign_domain::model::channels::Channels;
use countersign_domain::model::method::{Holdings, Methods};
use countersign_domain::ports::diagnostics::Finding;
use countersign_domain::ports::{PushStore, TokenStore, UserStore};
use countersign_domain::{StoreError, User, UserQuery};
use countersign_otp::Kind;
use countersign_store::SqlStore;

use super::{Check, Doctor};
use crate::config::Config;

pub fn register(doctor: &mut Doctor) {
    doctor.register(Box::new(ChannelsCheck));
}

struct ChannelsCheck;

/// Names listed in the finding; the rest are counted.
const SHOWN: usize = 20;

#[async_trait]
impl Check for ChannelsCheck {
    async fn run(&self, config: &Config) -> Vec<Finding> {
        let mut findings = vec![limits(config), countries(config)];
        let channels = config.channels();
        if channels.sms && channels.email {
            findings.push(Finding::pass(
                "codes.undeliverable",
                "SMS and email are both configured: every method can be delivered",
            ));
            return findings;
        }
        let store = match super::store::open_for_check(&config.database_url).await {
            Ok(Ok(store)) => store,
            // store.reachable already says why.
            _ => return findings,
        };
        findings.push(match stranded(&store, channels).await {
            Ok(names) => undeliverable(names, channels),
            Err(e) => Finding::warn(
                "codes.undeliverable",
                format!("the users could not be read: {e}"),
                "run doctor again once the store answers",
            ),
        });
        store.close().await;
        findings
    }
}

fn limits(config: &Config) -> Finding {
    let p = &config.messaging.sends;
    Finding::pass(
        "codes.limits",
        format!(
            "codes per hour: {} per user, {} per destination, {} for the server (codes.per_hour, \
             codes.per_destination_per_hour, codes.global_per_hour)",
            p.per_user, p.per_destination, p.global
        ),
    )
}

fn countries(config: &Config) -> Finding {
    let prefixes = &config.messaging.sends.allowed_prefixes;
    match (config.messaging.sms.is_some(), prefixes.is_empty()) {
        (false, _) => Finding::pass("codes.countries", "no SMS gateway: nothing is texted"),
        (true, true) => Finding::warn(
            "codes.countries",
            "texts may go to every country: a flood of codes to premium numbers (SMS pumping) bills you",
            "set codes.allowed_country_prefixes to the calling codes your users have, e.g. [\"+44\", \"+353\"]",
        ),
        (true, false) => Finding::pass(
            "codes.countries",
            format!("texts go only to {}", prefixes.join(", ")),
        ),
    }
}

fn undeliverable(names: Vec<String>, channels: Channels) -> Finding {
    if names.is_empty() {
        return Finding::pass(
            "codes.undeliverable",
            "every user with a method has one this server can deliver",
        );
    }
    let mut shown = names
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > SHOWN {
        shown.push_str(&format!(" and {} more", names.len() - SHOWN));
    }
    let missing = match (channels.sms, channels.email) {
        (false, false) => "an SMS gateway ([sms]) and SMTP ([smtp])",
        (false, true) => "an SMS gateway ([sms] gateway and url)",
        _ => "SMTP ([smtp] host)",
    };
    Finding::warn(
        "codes.undeliverable",
        format!(
            "{} user(s) have only methods this server cannot deliver and are refused no_method: {shown}",
            names.len()
        ),
        format!("configure {missing}, or give them an authenticator app or a token"),
    )
}

/// The users whose every usable method needs a missing channel.
async fn stranded(store: &SqlStore, channels: Channels) -> Result<Vec<String>, StoreError> {
    let mut names = Vec::new();
    let mut after = None;
    loop {
        let query = UserQuery {
            limit: 500,
            after: after.clone(),
            ..UserQuery::default()
        };
        let page = store.list_users(&query).await?;
        for user in &page {
            if may_be_stranded(user, channels) && only_undeliverable(store, user, channels).await? {
                names.push(user.username.clone());
            }
        }
        match page.last() {
            Some(last) if page.len() == 500 => after = Some(last.username.clone()),
            _ => return Ok(names),
        }
    }
}

/// Cheap first look: someone who can be texted or mailed where that is off.
fn may_be_stranded(user: &User, channels: Channels) -> bool {
    !countersign_domain::model::user::is_principal(&user.username)
        && ((user.phone.is_some() && !channels.sms)
            || ((user.email.is_some() || user.username.contains('@')) && !channels.email))
}

async fn only_undeliverable(
    store: &SqlStore,
    user: &User,
    channels: Channels,
) -> Result<bool, StoreError> {
    let tokens = store.tokens_of_user(&user.id).await?;
    let yubikeys = tokens.iter().filter(|t| t.kind == Kind::Yubico).count();
    let holdings = Holdings {
        tokens: tokens.len() - yubikeys,
        devices: store.devices_of_user(&user.id).await?.len(),
        yubikeys,
    };
    let methods = Methods::of(user, holdings);
    Ok(!methods.is_empty() && channels.usable(&methods).is_empty())
}
