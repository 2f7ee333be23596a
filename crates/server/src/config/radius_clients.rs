//! `[[radius.clients]]` tables of the configuration file.

use std::collections::BTreeMap;

use countersign_domain::admin::radius_clients::{RadiusClient, RadiusClientSpec};
use countersign_domain::model::radius::{FirstFactor, Flow};
use countersign_domain::signin::DoorRules;
use toml::Value;

const FIELDS: &[&str] = &[
    "name",
    "address",
    "secret",
    "flow",
    "first_factor",
    "upstream",
    "upstream_secret",
    "require_message_authenticator",
    "upstream_require_message_authenticator",
    "require_user_match",
    "fallback_otp",
];

pub fn read(
    values: &BTreeMap<&'static str, Value>,
    problems: &mut Vec<String>,
) -> Vec<RadiusClient> {
    let Some(tables) = values.get("radius.clients").and_then(Value::as_array) else {
        return Vec::new();
    };
    let mut clients = Vec::new();
    for (i, table) in tables.iter().filter_map(Value::as_table).enumerate() {
        let at = format!("radius.clients[{i}]");
        if let Some(unknown) = table.keys().find(|k| !FIELDS.contains(&k.as_str())) {
            problems.push(format!(
                "{at}.{unknown}: unknown key (known: {})",
                FIELDS.join(", ")
            ));
            continue;
        }
        match spec(table, &at).and_then(|s| s.into_client().map_err(|e| format!("{at}.{e}"))) {
            Ok(client) => clients.push(client),
            Err(problem) => problems.push(problem),
        }
    }
    clients
}

fn spec(table: &toml::Table, at: &str) -> Result<RadiusClientSpec, String> {
    let text = |key: &str| table.get(key).and_then(Value::as_str).map(str::to_string);
    let required = |key: &str| text(key).ok_or_else(|| format!("{at}.{key}: required (a string)"));
    let flow = text("flow").unwrap_or_else(|| "otp".into());
    let first = text("first_factor").unwrap_or_else(|| "none".into());
    Ok(RadiusClientSpec {
        name: required("name")?,
        address: required("address")?,
        secret: required("secret")?,
        flow: Flow::parse(&flow)
            .ok_or_else(|| format!("{at}.flow: '{flow}' is not otp or challenge"))?,
        first_factor: FirstFactor::parse(&first)
            .ok_or_else(|| format!("{at}.first_factor: '{first}' is not none or radius"))?,
        upstream: text("upstream"),
        upstream_secret: text("upstream_secret"),
        require_message_authenticator: table
            .get("require_message_authenticator")
            .and_then(Value::as_bool)
            .unwrap_or(true),
        upstream_require_message_authenticator: flag(
            table,
            at,
            "upstream_require_message_authenticator",
            true,
        )?,
        rules: DoorRules {
            require_user_match: flag(table, at, "require_user_match", true)?,
            fallback_otp: flag(table, at, "fallback_otp", false)?,
        },
    })
}

pub(super) fn flag(
    table: &toml::Table,
    at: &str,
    key: &str,
    default: bool,
) -> Result<bool, String> {
    match table.get(key) {
        None => Ok(default),
        Some(Value::Boolean(value)) => Ok(*value),
        Some(other) => Err(format!("{at}.{key}: must be true or false, not {other}")),
    }
}
