//! Reading the layers (defaults, file, environment, flags) into a [`Config`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use toml::Value;

use super::schema::{self, Kind, KEYS};
use super::{Config, ConfigErrors};
use countersign_web::proxy::IpNet;

/// Command-line flags, the last and strongest layer.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub config_file: Option<PathBuf>,
    pub data_dir: Option<PathBuf>,
    pub listen: Option<String>,
}

/// Loads from the process environment.
pub fn load(overrides: &Overrides) -> Result<Config, ConfigErrors> {
    load_with_env(overrides, &|name| std::env::var(name).ok())
}

pub fn load_with_env(
    overrides: &Overrides,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Config, ConfigErrors> {
    let mut problems = Vec::new();
    let mut values = defaults();
    let mut sources = Sources::new(&values);
    if let Some(path) = &overrides.config_file {
        read_file(path, &mut values, &mut problems);
        sources.mark(&values, |_| format!("file {}", path.display()));
    }
    read_env(env, &mut values, &mut problems);
    sources.mark(&values, |key| {
        format!("environment {}", schema::env_name(key))
    });
    if let Some(dir) = &overrides.data_dir {
        values.insert("data_dir", Value::String(dir.display().to_string()));
    }
    if let Some(listen) = &overrides.listen {
        values.insert("http.listen", Value::String(listen.clone()));
    }
    sources.mark(&values, |_| "command line".to_string());
    let mut config = build(&values, &mut problems);
    config.sources = sources.names;
    if problems.is_empty() {
        Ok(config)
    } else {
        Err(ConfigErrors(problems))
    }
}

/// Which layer gave each key its value (shown read-only by the console).
struct Sources {
    seen: BTreeMap<&'static str, Value>,
    names: BTreeMap<String, String>,
}

impl Sources {
    fn new(defaults: &BTreeMap<&'static str, Value>) -> Self {
        let names = defaults
            .keys()
            .map(|k| (k.to_string(), "default".to_string()))
            .collect();
        Self {
            seen: defaults.clone(),
            names,
        }
    }

    /// Names `layer` as the source of every value it set or changed.
    fn mark(&mut self, values: &BTreeMap<&'static str, Value>, layer: impl Fn(&str) -> String) {
        for (key, value) in values {
            if self.seen.get(key) != Some(value) {
                self.names.insert(key.to_string(), layer(key));
            }
        }
        self.seen = values.clone();
    }
}

fn defaults() -> BTreeMap<&'static str, Value> {
    KEYS.iter()
        .filter_map(|k| {
            let literal = k.default?;
            let table: toml::Table = toml::from_str(&format!("v = {literal}")).ok()?;
            table.get("v").cloned().map(|v| (k.path, v))
        })
        .collect()
}

fn read_file(path: &Path, values: &mut BTreeMap<&'static str, Value>, problems: &mut Vec<String>) {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) => {
            return problems.push(format!(
                "cannot read the configuration file {}: {e}",
                path.display()
            ))
        }
    };
    let table: toml::Table = match toml::from_str(&text) {
        Ok(table) => table,
        Err(e) => return problems.push(format!("{} is not valid TOML: {e}", path.display())),
    };
    for (name, value) in table {
        match value {
            Value::Table(section) => {
                for (inner, value) in section {
                    set(&format!("{name}.{inner}"), value, values, problems);
                }
            }
            value => set(&name, value, values, problems),
        }
    }
}

fn set(
    path: &str,
    value: Value,
    values: &mut BTreeMap<&'static str, Value>,
    problems: &mut Vec<String>,
) {
    let Some(key) = schema::find(path) else {
        let section = schema::section_of(path);
        let known: Vec<&str> = KEYS
            .iter()
            .filter(|k| schema::section_of(k.path) == section)
            .map(|k| k.path)
            .collect();
        return problems.push(format!(
            "{path}: unknown key (known here: {})",
            known.join(", ")
        ));
    };
    // A list key given one value means a list of one.
    let value = match (key.kind, value) {
        (Kind::List, Value::String(one)) => Value::Array(vec![Value::String(one)]),
        (_, value) => value,
    };
    let fits = matches!(
        (key.kind, &value),
        (Kind::Str, Value::String(_))
            | (Kind::Int, Value::Integer(_))
            | (Kind::Bool, Value::Boolean(_))
    ) || (key.kind == Kind::List && is_string_list(&value))
        || (key.kind == Kind::Tables
            && value
                .as_array()
                .is_some_and(|a| a.iter().all(Value::is_table)));
    if fits {
        values.insert(key.path, value);
    } else {
        problems.push(format!(
            "{path}: expected {}, found {}",
            kind_name(key.kind),
            value.type_str()
        ));
    }
}

fn read_env(
    env: &dyn Fn(&str) -> Option<String>,
    values: &mut BTreeMap<&'static str, Value>,
    problems: &mut Vec<String>,
) {
    for key in KEYS {
        let name = schema::env_name(key.path);
        let mut text = env(&name);
        if key.secret {
            if let Some(file) = env(&format!("{name}_FILE")) {
                match std::fs::read_to_string(&file) {
                    Ok(content) => text = Some(content.trim().to_string()),
                    Err(e) => problems.push(format!("{name}_FILE: cannot read {file}: {e}")),
                }
            }
        }
        let Some(text) = text else { continue };
        let parsed = match key.kind {
            Kind::Str => Some(Value::String(text.clone())),
            Kind::Int => text.trim().parse::<i64>().ok().map(Value::Integer),
            Kind::Bool => parse_bool(&text).map(Value::Boolean),
            Kind::Tables => {
                problems.push(format!(
                    "{name}: {} can only be set in the configuration file",
                    key.path
                ));
                continue;
            }
            Kind::List => Some(Value::Array(
                text.split(',')
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(|t| Value::String(t.to_string()))
                    .collect(),
            )),
        };
        match parsed {
            Some(value) => {
                values.insert(key.path, value);
            }
            None => problems.push(format!(
                "{name}: expected {}, found '{text}'",
                kind_name(key.kind)
            )),
        }
    }
}

fn is_string_list(value: &Value) -> bool {
    value
        .as_array()
        .is_some_and(|items| items.iter().all(Value::is_str))
}

fn parse_bool(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Some(true),
        "false" | "0" | "no" | "off" => Some(false),
        _ => None,
    }
}

fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Str => "a string",
        Kind::Int => "an integer",
        Kind::Bool => "true or false",
        Kind::List => "a list of strings like [\"a\", \"b\"]",
        Kind::Tables => "a list of tables ([[section.key]])",
    }
}

/// Reads typed values with range checks, collecting every problem.
pub(super) struct Reader<'a> {
    values: &'a BTreeMap<&'static str, Value>,
    pub(super) problems: &'a mut Vec<String>,
}

impl Reader<'_> {
    pub(super) fn text(&self, path: &str) -> Option<String> {
        self.values
            .get(path)
            .and_then(|v| v.as_str())
            .map(str::to_string)
            .filter(|s| !s.is_empty())
    }

    pub(super) fn int(&mut self, path: &str, min: i64, max: i64) -> i64 {
        let value = self
            .values
            .get(path)
            .and_then(Value::as_integer)
            .unwrap_or(min);
        if value < min || value > max {
            self.problems.push(format!(
                "{path}: {value} is out of range, expected {min} to {max}"
            ));
            return min;
        }
        value
    }

    pub(super) fn flag(&self, path: &str) -> bool {
        self.values
            .get(path)
            .and_then(Value::as_bool)
            .unwrap_or(false)
    }

    pub(super) fn list(&self, path: &str) -> Vec<String> {
        let items = self.values.get(path).and_then(Value::as_array);
        items
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }

    fn path(&self, path: &str) -> Option<PathBuf> {
        self.text(path).map(PathBuf::from)
    }

    pub(super) fn one_of(&mut self, path: &str, allowed: &[&str]) -> String {
        let value = self.text(path).unwrap_or_default();
        if !allowed.contains(&value.as_str()) {
            self.problems.push(format!(
                "{path}: '{value}' is not one of {}",
                allowed.join(", ")
            ));
        }
        value
    }
}

fn build(values: &BTreeMap<&'static str, Value>, problems: &mut Vec<String>) -> Config {
    let mut r = Reader { values, problems };
    let data_dir = PathBuf::from(
        r.text("data_dir")
            .unwrap_or_else(|| "./countersign-data".into()),
    );
    let database_url = r
        .text("database.url")
        .unwrap_or_else(|| format!("sqlite://{}", data_dir.join("countersign.db").display()));
    if countersign_store::Backend::of_url(&database_url).is_none() {
        r.problems.push(
            "database.url: expected sqlite://PATH or postgres://USER@HOST:PORT/DB".to_string(),
        );
    }
    let listen = r.text("http.listen").unwrap_or_default();
    if listen.parse::<std::net::SocketAddr>().is_err() {
        r.problems.push(format!(
            "http.listen: '{listen}' is not an address:port like 127.0.0.1:8080"
        ));
    }
    let config = Config {
        max_connections: r.int("database.max_connections", 1, 1000) as u32,
        body_limit: r.int("http.body_limit", 1024, 10 * 1024 * 1024) as usize,
        header_read_timeout_seconds: r.int("http.header_read_timeout_seconds", 1, 3600) as u64,
        idle_timeout_seconds: r.int("http.idle_timeout_seconds", 1, 86_400) as u64,
        max_connections_per_address: r.int("http.max_connections_per_address", 0, 1_000_000)
            as usize,
        console_sessions: countersign_domain::sessions::console::SessionPolicy {
            idle_seconds: r.int("console.idle_minutes", 1, 1440) * 60,
            absolute_seconds: r.int("console.absolute_hours", 1, 168) * 3600,
        },
        portal: countersign_domain::portal::PortalPolicy {
            link_seconds: r.int("portal.link_days", 1, 90) * 86_400,
            public_url: r
                .text("public_url")
                .unwrap_or_else(|| format!("http://{listen}")),
            sessions: countersign_domain::sessions::console::SessionPolicy {
                idle_seconds: r.int("portal.idle_minutes", 1, 1440) * 60,
                absolute_seconds: r.int("portal.absolute_hours", 1, 168) * 3600,
            },
            ..countersign_domain::portal::PortalPolicy::default()
        },
        portal_templates: r.text("portal.templates").map(PathBuf::from),
        log_level: r.text("log.level").unwrap_or_else(|| "info".into()),
        log_json: r.one_of("log.format", &["text", "json"]) == "json",
        encryption_key: r.text("security.encryption_key"),
        encryption_key_file: r.text("security.encryption_key_file").map(PathBuf::from),
        totp_window: r.int("verify.totp_window", 0, 10) as u32,
        hotp_lookahead: r.int("verify.hotp_lookahead", 0, 1000) as u32,
        hotp_resync_window: r.int("verify.hotp_resync_window", 1, 100_000) as u32,
        lockout_threshold: r.int("verify.lockout_threshold", 1, 1000) as u32,
        lockout_minutes: r.int("verify.lockout_minutes", 1, 10_080) as u32,
        allow_method_choice: r.flag("verify.allow_method_choice"),
        issuer: r.text("otp.issuer").unwrap_or_else(|| "Countersign".into()),
        public_url: r.text("public_url"),
        behind_proxy: r.flag("http.behind_proxy"),
        trusted_proxies: trusted_proxies(&mut r),
        tls_cert: r.path("tls.cert"),
        tls_key: r.path("tls.key"),
        ntp_server: r.text("doctor.ntp_server"),
        time_url: r.text("doctor.time_url"),
        push: countersign_domain::methods::push::policy::PushPolicy {
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
        },
        web_push: web_push(&mut r),
        directory: super::directory::load(&mut r),
        messaging: super::messaging::read(&mut r),
        radius_listen: r.text("radius.listen"),
        radius_hold_seconds: r.int("radius.hold_seconds", 1, 120) as u64,
        radius_challenge_seconds: r.int("radius.challenge_seconds", 10, 600),
        radius_clients: super::radius_clients::read(values, r.problems),
        ldap: super::ldap::load(&mut r, values),
        sources: BTreeMap::new(),
        data_dir,
        database_url,
        listen,
    };
    check_tls_and_url(&config, r.problems);
    if config.issuer.contains(':') {
        r.problems.push(
            "otp.issuer: must not contain ':' (authenticator apps split the label on it)"
                .to_string(),
        );
    }
    config
}

fn trusted_proxies(r: &mut Reader) -> Vec<IpNet> {
    let mut nets = Vec::new();
    for text in r.list("http.trusted_proxies") {
        match text.parse::<IpNet>() {
            Ok(net) => nets.push(net),
            Err(e) => r.problems.push(format!("http.trusted_proxies: {e}")),
        }
    }
    nets
}

fn web_push(r: &mut Reader<'_>) -> super::WebPushConfig {
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
    super::WebPushConfig {
        enabled: r.flag("web_push.enabled"),
        subject,
        allow_http: r.flag("web_push.allow_http"),
    }
}

fn check_tls_and_url(config: &Config, problems: &mut Vec<String>) {
    if config.tls_cert.is_some() != config.tls_key.is_some() {
        problems.push("tls.cert and tls.key: set both (HTTPS) or neither (plain HTTP)".to_string());
    }
    if let Some(url) = &config.public_url {
        let ok = url::Url::parse(url)
            .map(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
            .unwrap_or(false);
        if !ok {
            problems.push(format!(
                "public_url: '{url}' is not an http(s) URL like https://mfa.example.org"
            ));
        }
    }
    if config.behind_proxy && config.trusted_proxies.is_empty() {
        problems.push(
            "http.trusted_proxies: list the proxy addresses when http.behind_proxy = true"
                .to_string(),
        );
    }
}

#[cfg(test)]
#[path = "load_tests.rs"]
mod tests;
