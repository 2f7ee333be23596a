//! The directory: the service account binds over TLS, and the sync is
//! running (not waiting for approval, not stopped).

use async_trait::async_trait;
use countersign_directory::Directory;
use countersign_domain::ports::diagnostics::Finding;
use countersign_domain::sync::directory::DirectorySync;

use super::{Check, Doctor};
use crate::config::Config;

const BIND: &str = "directory.bind";
const SYNC: &str = "directory.sync";
const TLS_PIN: &str = "directory.tls_pin";

pub fn register(doctor: &mut Doctor) {
    doctor.register(Box::new(DirectoryCheck));
}

struct DirectoryCheck;

#[async_trait]
impl Check for DirectoryCheck {
    async fn run(&self, config: &Config) -> Vec<Finding> {
        let Some(directory) = &config.directory else {
            return Vec::new();
        };
        let mut findings = bind(directory).await;
        if let Some(finding) = last_run(config, directory.interval_seconds).await {
            findings.push(finding);
        }
        findings
    }
}

/// The service account's bind, and a note when the directory's certificate
/// is trusted as a pin (`ca_file` holds exactly its self-signed certificate).
async fn bind(directory: &crate::config::DirectoryConfig) -> Vec<Finding> {
    let client = match Directory::new(directory.settings.clone()) {
        Ok(client) => client,
        Err(e) => return vec![bind_failed(e)],
    };
    let url = match client.check_service().await {
        Ok(url) => url,
        Err(e) => return vec![bind_failed(e)],
    };
    let mut findings = vec![Finding::pass(
        BIND,
        format!("bound as {} at {url}", directory.settings.bind_dn),
    )];
    if client.trusted_by_pin() {
        findings.push(Finding::pass(
            TLS_PIN,
            format!(
                "{url} is trusted because directory.ca_file holds exactly its self-signed certificate (a pin): \
                 when the directory gets a new certificate, put the new one in directory.ca_file, or use a CA"
            ),
        ));
    }
    findings
}

fn bind_failed(e: countersign_directory::DirError) -> Finding {
    Finding::fail(BIND, e.to_string(), "fix the [directory] settings named above; `countersign directory sync --dry-run` tries again")
}

async fn last_run(config: &Config, interval: u64) -> Option<Finding> {
    let store = super::store::open_for_check(&config.database_url)
        .await
        .ok()?
        .ok()?;
    let report = DirectorySync::read_last_run(&store).await.ok();
    store.close().await;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    Some(match report.flatten() {
        None => Finding::warn(SYNC, "no directory sync has run yet", "start the server, or run `countersign directory sync`"),
        Some(r) if r.status == "awaiting_approval" => Finding::warn(
            SYNC,
            format!("the last sync waits for approval: it would disable or remove more users than directory.approval_threshold ({} errors)", r.errors.len()),
            "check the directory, then `countersign directory sync --approve`",
        ),
        Some(r) if now - r.at > 3 * interval as i64 + 300 => Finding::warn(
            SYNC,
            format!("the last directory sync ran {} minutes ago", (now - r.at) / 60),
            "the sync has stopped: check the server's log for `directory sync failed`",
        ),
        Some(r) => Finding::pass(
            SYNC,
            format!("last sync {} minute(s) ago: {} users, {} added, {} updated, {} disabled", (now - r.at) / 60, r.seen, r.added, r.updated, r.disabled),
        ),
    })
}
