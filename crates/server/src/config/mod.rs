//! Configuration: one TOML file, overridden by `COUNTERSIGN_*` variables,
//! then by command-line flags. Every problem is reported at once.

pub mod audit;
mod directory;
mod http;
mod ldap;
mod limits;
mod load;
mod messaging;
mod portal;
mod push;
mod radius_clients;
mod reader;
mod rules;
pub mod schema;
pub mod sso;
mod typed;
pub mod voice;
mod webauthn;

use std::path::PathBuf;

pub use ldap::{LdapClient, LdapConfig, LdapTls};
#[cfg(test)]
pub use load::load_with_env;
pub use load::{load, Overrides};
pub use webauthn::WebauthnConfig;

#[derive(Debug, Clone)]
pub struct Config {
    pub data_dir: PathBuf,
    pub database_url: String,
    pub max_connections: u32,
    /// How long a query waits for a database connection (`database.acquire_timeout_seconds`).
    pub acquire_timeout_seconds: u64,
    pub listen: String,
    pub body_limit: usize,
    pub header_read_timeout_seconds: u64,
    pub idle_timeout_seconds: u64,
    pub body_idle_timeout_seconds: u64,
    pub write_idle_timeout_seconds: u64,
    pub max_connections_per_address: usize,
    /// Console session limits (`[console]`).
    pub console_sessions: countersign_domain::sessions::SessionPolicy,
    /// The portal (`[portal]`); its public URL is filled in from `public_url`.
    pub portal: countersign_domain::portal::PortalPolicy,
    pub portal_templates: Option<PathBuf>,
    pub log_level: String,
    pub log_json: bool,
    pub encryption_key: Option<String>,
    pub encryption_key_file: Option<PathBuf>,
    pub totp_window: u32,
    pub hotp_lookahead: u32,
    pub hotp_resync_window: u32,
    pub lockout_threshold: u32,
    pub lockout_minutes: u32,
    pub allow_method_choice: bool,
    /// `verify.generic_refusals` and `verify.refusal_message`.
    pub refusals: countersign_domain::signin::RefusalPolicy,
    pub issuer: String,
    pub public_url: Option<String>,
    pub behind_proxy: bool,
    pub trusted_proxies: Vec<countersign_web::proxy::IpNet>,
    /// `http.hsts_max_age_seconds`: `Strict-Transport-Security` over HTTPS (0: off).
    pub hsts_max_age_seconds: u64,
    /// `http.forwarded_header`: the one header believed from those proxies.
    pub forwarded_header: countersign_web::proxy::ForwardedHeader,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    /// `[metrics]`: `/metrics` on its own listener, and its bearer token.
    pub metrics_listen: Option<String>,
    pub metrics_token: Option<String>,
    pub ntp_server: Option<String>,
    pub time_url: Option<String>,
    pub push: countersign_domain::methods::push::policy::PushPolicy,
    pub web_push: WebPushConfig,
    /// `[directory]`, when `directory.url` is set.
    pub directory: Option<DirectoryConfig>,
    pub messaging: messaging::MessagingConfig,
    pub radius_listen: Option<String>,
    pub radius_hold_seconds: u64,
    pub radius_challenge_seconds: i64,
    /// `[ldap]`: the LDAP bind proxy, off unless ldap.listen is set.
    pub ldap: Option<LdapConfig>,
    /// `[voice]`: phone calls, off unless voice.provider is set.
    pub voice: Option<voice::VoiceConfig>,
    /// Clients from the configuration file (more come from the store).
    pub radius_clients: Vec<countersign_domain::admin::radius_clients::RadiusClient>,
    /// `[[verify.rules]]`: the sign-in rules until one is saved (kept in the store).
    pub rules: Vec<countersign_domain::rules::Rule>,
    /// `[limits]`: rate limits of the guessable doors, the work pool.
    pub limits: countersign_domain::throttle::Limits,
    /// `[audit]`: retention and the live streams.
    pub audit: audit::AuditConfig,
    /// `[webauthn]`: the relying party of passkeys.
    pub webauthn: WebauthnConfig,
    /// `[sso]`: the `/sso` cookie's domain and the hosts' group requirements.
    pub sso: countersign_domain::sso::SsoPolicy,
    /// Where each key's value came from: `default`, `file PATH`,
    /// `environment NAME` or `command line`.
    pub sources: std::collections::BTreeMap<String, String>,
}

impl Config {
    /// The channels that can deliver (`[sms]`, `[smtp]`, `[voice]`).
    pub fn channels(&self) -> countersign_domain::model::channels::Channels {
        let mut channels = self.messaging.channels();
        channels.voice = self.voice.is_some();
        channels
    }

    /// What the console shows read-only: where it listens and what it uses,
    /// each with where its value came from.
    pub fn server_settings(&self) -> Vec<(String, String, String)> {
        let or_unset = |v: Option<String>| v.unwrap_or_else(|| "(not set)".into());
        let database = match self.database_url.split_once("://") {
            Some((scheme, rest)) => match rest.rsplit_once('@') {
                // Never show a password that may be in the URL.
                Some((_, host)) => format!("{scheme}://…@{host}"),
                None => self.database_url.clone(),
            },
            None => self.database_url.clone(),
        };
        vec![
            ("http.listen".into(), self.listen.clone()),
            ("public_url".into(), or_unset(self.public_url.clone())),
            ("database.url".into(), database),
            (
                "tls.cert".into(),
                or_unset(self.tls_cert.as_ref().map(|p| p.display().to_string())),
            ),
            ("radius.listen".into(), or_unset(self.radius_listen.clone())),
            ("http.behind_proxy".into(), self.behind_proxy.to_string()),
            ("otp.issuer".into(), self.issuer.clone()),
            ("data_dir".into(), self.data_dir.display().to_string()),
        ]
        .into_iter()
        .chain(limits::shown(&self.limits))
        .chain(messaging::shown_sends(&self.messaging.sends))
        .map(|(key, value): (String, String)| {
            let source = self
                .sources
                .get(&key)
                .cloned()
                .unwrap_or_else(|| "default".into());
            (key, value, source)
        })
        .collect()
    }

    /// The settings kept in the store start as the configuration's values.
    pub fn stored_settings_defaults(&self) -> countersign_domain::admin::settings::Settings {
        countersign_domain::admin::settings::Settings {
            allow_method_choice: self.allow_method_choice,
            lockout_threshold: self.lockout_threshold,
            lockout_minutes: self.lockout_minutes,
            push_number_matching: self.push.number_matching,
            push_pin_required: self.push.pin_required,
            push_per_minute: self.push.per_minute,
            push_per_hour: self.push.per_hour,
            account_name: self.push.account_name.clone(),
            ..countersign_domain::admin::settings::Settings::default()
        }
    }

    /// Browsers reach this server over HTTPS: it serves TLS itself, or a
    /// TLS proxy sits in front (`http.behind_proxy`) and `public_url` is
    /// https. Session cookies are then `Secure` with `__Host-` names.
    pub fn browsers_use_https(&self) -> bool {
        let served = self.tls_cert.is_some() && self.tls_key.is_some();
        let proxied = self.behind_proxy
            && self
                .public_url
                .as_deref()
                .is_some_and(|url| url.to_ascii_lowercase().starts_with("https://"));
        served || proxied
    }

    pub fn signin_policy(&self) -> countersign_domain::SignInPolicy {
        countersign_domain::SignInPolicy {
            allow_method_choice: self.allow_method_choice,
        }
    }

    pub fn verify_policy(&self) -> countersign_domain::VerifyPolicy {
        countersign_domain::VerifyPolicy {
            totp_window: self.totp_window,
            hotp_lookahead: self.hotp_lookahead,
            hotp_resync_window: self.hotp_resync_window,
            lockout_threshold: self.lockout_threshold,
            lockout_seconds: i64::from(self.lockout_minutes) * 60,
        }
    }
}

/// `[directory]`: where users come from.
#[derive(Debug, Clone)]
pub struct DirectoryConfig {
    pub settings: countersign_directory::DirectorySettings,
    pub policy: countersign_domain::sync::directory::SyncPolicy,
    pub interval_seconds: u64,
}

/// `[web_push]`: waking the web app when it is closed.
#[derive(Debug, Clone)]
pub struct WebPushConfig {
    pub enabled: bool,
    /// The VAPID `sub` (mailto: or https:).
    pub subject: String,
    pub allow_http: bool,
    /// `web_push.allowed_networks`: internal addresses endpoints may reach.
    pub allowed_networks: Vec<countersign_domain::model::net::IpNet>,
}

/// All the problems found in a configuration, each naming its key.
#[derive(Debug)]
pub struct ConfigErrors(pub Vec<String>);

impl std::fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "the configuration has {} problem(s):", self.0.len())?;
        for problem in &self.0 {
            writeln!(f, "  - {problem}")?;
        }
        write!(
            f,
            "`countersign config example` prints every key with its meaning and default."
        )
    }
}

impl std::error::Error for ConfigErrors {}
