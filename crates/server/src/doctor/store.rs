//! The store: reachable, migrations current, the encryption key present,
//! private and the one this database was written with.

use std::os::unix::fs::PermissionsExt;

use async_trait::async_trait;
use countersign_domain::ports::diagnostics::Finding;
use countersign_domain::StoreError;
use countersign_store::{SqlStore, StoreOptions};

use super::{Check, Doctor};
use crate::config::Config;
use crate::secret_key;

pub fn register(doctor: &mut Doctor) {
    doctor.register(Box::new(StoreCheck));
}

struct StoreCheck;

#[async_trait]
impl Check for StoreCheck {
    async fn run(&self, config: &Config) -> Vec<Finding> {
        let mut findings = vec![key_file(config), acquire_timeout(config)];
        if let Some(problem) = precheck(&config.database_url).await {
            findings.push(problem);
            return findings;
        }
        let store = match open_for_check(&config.database_url).await {
            Ok(Ok(store)) => store,
            Ok(Err(e)) => {
                findings.push(Finding::fail(
                    "store.reachable",
                    e.to_string(),
                    "start the database or correct database.url (COUNTERSIGN_DATABASE_URL)",
                ));
                return findings;
            }
            Err(_) => {
                findings.push(Finding::fail(
                    "store.reachable",
                    "the database did not answer within 15 s",
                    "check the database host, port and firewall",
                ));
                return findings;
            }
        };
        findings.push(Finding::pass(
            "store.reachable",
            format!(
                "the {} database answers",
                options_backend(&config.database_url)
            ),
        ));
        findings.push(migrations(&store).await);
        findings.push(key_matches(config, &store).await);
        findings.push(super::backup::last_backup(&store, unix_now()).await);
        findings.extend(super::audit::findings(config, &store, unix_now()).await);
        store.close().await;
        findings
    }
}

/// Answers quickly what a pool would only report after its timeout: no
/// SQLite file yet, or nothing listening at the PostgreSQL address.
/// The store with one connection and no migrations, given 15 s to answer
/// (`Err` when it did not), for checks that read it.
pub(super) async fn open_for_check(
    url: &str,
) -> Result<Result<SqlStore, StoreError>, tokio::time::error::Elapsed> {
    let options = StoreOptions {
        url: url.to_string(),
        max_connections: 1,
        acquire_timeout: countersign_store::ACQUIRE_TIMEOUT,
        migrate: false,
    };
    tokio::time::timeout(
        std::time::Duration::from_secs(15),
        countersign_store::open(&options),
    )
    .await
}

async fn precheck(url: &str) -> Option<Finding> {
    if let Some(path) = url.strip_prefix("sqlite://") {
        let path = path.split('?').next().unwrap_or(path);
        return (!std::path::Path::new(path).exists()).then(|| {
            Finding::warn("store.reachable", format!("no database at {path} yet"), "it is created when the server first starts (countersign serve or countersign migrate)")
        });
    }
    let parsed = url::Url::parse(url).ok()?;
    let host = parsed.host_str()?.to_string();
    let port = parsed.port().unwrap_or(5432);
    let connect = tokio::net::TcpStream::connect((host.as_str(), port));
    match tokio::time::timeout(std::time::Duration::from_secs(5), connect).await {
        Ok(Ok(_)) => None,
        Ok(Err(e)) => Some(Finding::fail(
            "store.reachable",
            format!("cannot connect to PostgreSQL at {host}:{port}: {e}"),
            "start PostgreSQL or correct database.url (COUNTERSIGN_DATABASE_URL)",
        )),
        Err(_) => Some(Finding::fail(
            "store.reachable",
            format!("PostgreSQL at {host}:{port} did not answer within 5 s"),
            "check the host, port and firewall in database.url",
        )),
    }
}

fn options_backend(url: &str) -> &'static str {
    countersign_store::Backend::of_url(url).map_or("configured", |b| b.name())
}

async fn migrations(store: &countersign_store::SqlStore) -> Finding {
    let unknown = countersign_store::migrate::unknown_applied(store).await;
    if !unknown.is_empty() {
        return Finding::fail(
            "store.migrations",
            countersign_store::migrate::newer_schema_message(&unknown),
            "run the release that upgraded the database, or restore a backup made before the upgrade",
        );
    }
    match countersign_store::migrate::status(store).await {
        Ok(status) if status.iter().all(|m| m.applied) => Finding::pass(
            "store.migrations",
            format!("schema is current ({} migration(s) applied)", status.len()),
        ),
        Ok(status) => {
            let pending: Vec<String> = status
                .iter()
                .filter(|m| !m.applied)
                .map(|m| m.version.to_string())
                .collect();
            Finding::warn(
                "store.migrations",
                format!("migration(s) {} not applied yet", pending.join(", ")),
                "run `countersign migrate` (serve also applies them at start)",
            )
        }
        Err(e) => Finding::fail(
            "store.migrations",
            e.to_string(),
            "check that the database user may read and create tables",
        ),
    }
}

fn key_file(config: &Config) -> Finding {
    if config.encryption_key.is_some() {
        return Finding::pass(
            "store.encryption_key",
            "the encryption key comes from the configuration or environment",
        );
    }
    let path = config
        .encryption_key_file
        .clone()
        .unwrap_or_else(|| secret_key::key_path(config));
    match std::fs::metadata(&path) {
        Err(_) if config.encryption_key_file.is_none() => Finding::warn(
            "store.encryption_key",
            format!("{} does not exist yet", path.display()),
            "it is generated at the first start; back it up with the database",
        ),
        Err(e) => Finding::fail(
            "store.encryption_key",
            format!("cannot read {}: {e}", path.display()),
            "restore the key file or correct security.encryption_key_file",
        ),
        Ok(meta) if meta.permissions().mode() & 0o077 != 0 => Finding::fail(
            "store.encryption_key",
            format!(
                "{} is readable by other users (mode {:o})",
                path.display(),
                meta.permissions().mode() & 0o777
            ),
            format!("chmod 600 {}", path.display()),
        ),
        Ok(_) => Finding::pass(
            "store.encryption_key",
            format!(
                "{} is present and readable only by its owner",
                path.display()
            ),
        ),
    }
}

async fn key_matches(config: &Config, store: &countersign_store::SqlStore) -> Finding {
    let key = match secret_key::read_existing(config) {
        Ok(Some(key)) => key,
        Ok(None) => {
            return Finding::warn(
                "store.key_matches",
                "no encryption key yet",
                "start the server once to create it",
            )
        }
        Err(e) => {
            return Finding::fail(
                "store.key_matches",
                format!("{e:#}"),
                "restore the original key",
            )
        }
    };
    match secret_key::matches_store(&key, store).await {
        Ok(true) => Finding::pass(
            "store.key_matches",
            "the encryption key opens this database's secrets",
        ),
        Ok(false) => Finding::fail(
            "store.key_matches",
            "the encryption key does not match this database (it was written with another key)",
            "use the key of the first node on every node, or restore the original key file",
        ),
        Err(e) => Finding::fail("store.key_matches", e.to_string(), "check the database"),
    }
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// While the database is unreachable every request waits
/// `database.acquire_timeout_seconds` for its error: past a NAS's timeout
/// (3-5 s), RADIUS clients give up on the node instead of hearing it fail.
fn acquire_timeout(config: &Config) -> Finding {
    let seconds = config.acquire_timeout_seconds;
    if config.radius_listen.is_some() && seconds >= 5 {
        return Finding::warn(
            "store.acquire_timeout",
            format!("requests wait up to {seconds} s for a database connection; RADIUS clients usually give up after 3 to 5 s"),
            "set database.acquire_timeout_seconds to 3 (COUNTERSIGN_DATABASE_ACQUIRE_TIMEOUT_SECONDS)",
        );
    }
    Finding::pass(
        "store.acquire_timeout",
        format!("requests wait up to {seconds} s for a database connection, then fail with a clear error"),
    )
}
