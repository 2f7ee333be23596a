//! The `[ldap]` section: the LDAP bind proxy and its `[[ldap.clients]]`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use countersign_domain::model::net::IpNet;
use countersign_domain::signin::DoorRules;
use toml::Value;

use super::reader::Reader;

/// How clients reach the proxy securely.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LdapTls {
    /// TLS from the first byte (ldaps://, usually port 636).
    Ldaps,
    /// Plain at first; the client asks for TLS with StartTLS (ldap://, port 389).
    StartTls,
}

/// An application allowed to bind through the proxy, by address.
#[derive(Debug, Clone)]
pub struct LdapClient {
    pub name: String,
    pub net: IpNet,
    pub rules: DoorRules,
}

#[derive(Debug, Clone)]
pub struct LdapConfig {
    pub listen: String,
    pub tls: LdapTls,
    pub cert: PathBuf,
    pub key: PathBuf,
    /// Simple binds before StartTLS (passwords in the clear): only when the admin says so.
    pub allow_plain: bool,
    pub hold_seconds: u64,
    pub idle_seconds: u64,
    pub max_connections: usize,
    pub clients: Vec<LdapClient>,
}

const FIELDS: &[&str] = &["name", "address", "require_user_match", "fallback_otp"];

pub fn load(r: &mut Reader, values: &BTreeMap<&'static str, Value>) -> Option<LdapConfig> {
    let listen = r.text("ldap.listen")?;
    if listen.parse::<std::net::SocketAddr>().is_err() {
        r.problems.push(format!(
            "ldap.listen: '{listen}' is not an address:port like 0.0.0.0:636"
        ));
    }
    let tls = match r.one_of("ldap.tls", &["ldaps", "starttls"]).as_str() {
        "starttls" => LdapTls::StartTls,
        _ => LdapTls::Ldaps,
    };
    let cert = r.text("ldap.cert").or_else(|| r.text("tls.cert"));
    let key = r.text("ldap.key").or_else(|| r.text("tls.key"));
    let (Some(cert), Some(key)) = (cert, key) else {
        r.problems.push(
            "ldap.cert and ldap.key: the LDAP proxy needs a certificate (LDAPS or StartTLS); \
             set them, or tls.cert and tls.key which it uses otherwise"
                .to_string(),
        );
        return None;
    };
    if r.list("directory.url").is_empty() {
        r.problems.push(
            "ldap.listen: the LDAP proxy checks passwords against the directory; configure [directory] too"
                .to_string(),
        );
    }
    Some(LdapConfig {
        listen,
        tls,
        cert: PathBuf::from(cert),
        key: PathBuf::from(key),
        allow_plain: r.flag("ldap.allow_plain"),
        hold_seconds: r.int("ldap.hold_seconds", 1, 120) as u64,
        idle_seconds: r.int("ldap.idle_minutes", 1, 1440) as u64 * 60,
        max_connections: r.int("ldap.max_connections", 1, 100_000) as usize,
        clients: clients(values, r.problems),
    })
}

fn clients(values: &BTreeMap<&'static str, Value>, problems: &mut Vec<String>) -> Vec<LdapClient> {
    let Some(tables) = values.get("ldap.clients").and_then(Value::as_array) else {
        return Vec::new();
    };
    let mut clients = Vec::new();
    for (i, table) in tables.iter().filter_map(Value::as_table).enumerate() {
        let at = format!("ldap.clients[{i}]");
        match client(table, &at) {
            Ok(client) => clients.push(client),
            Err(problem) => problems.push(problem),
        }
    }
    clients
}

fn client(table: &toml::Table, at: &str) -> Result<LdapClient, String> {
    if let Some(unknown) = table.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        return Err(format!(
            "{at}.{unknown}: unknown key (known: {})",
            FIELDS.join(", ")
        ));
    }
    let text = |key: &str| {
        table
            .get(key)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| format!("{at}.{key}: required (a string)"))
    };
    let name = text("name")?.to_string();
    let address = text("address")?;
    let net = address.parse::<IpNet>().map_err(|e| {
        format!("{at}.address: '{address}' is not an IP address or CIDR block ({e})")
    })?;
    Ok(LdapClient {
        name,
        net,
        rules: DoorRules {
            require_user_match: super::radius_clients::flag(table, at, "require_user_match", true)?,
            fallback_otp: super::radius_clients::flag(table, at, "fallback_otp", false)?,
        },
    })
}
