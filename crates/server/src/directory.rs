//! The directory sync as the server runs it: entries read by the
//! directory client, turned into the domain's users, the run decided and
//! applied by `DirectorySync`.

use std::sync::Arc;

use countersign_directory::{DirEntry, DirError, Directory, DirectoryKind, DirectorySettings};
use countersign_domain::directory::{DirUser, DirectorySync, SyncMode, SyncReport};
use countersign_domain::DomainError;

use crate::app::App;
use crate::config::DirectoryConfig;

/// AD's userAccountControl bit for a disabled account.
const ACCOUNT_DISABLE: u32 = 0x2;

/// The directory's entry as a user, or why it is skipped.
pub fn to_user(entry: &DirEntry, settings: &DirectorySettings) -> Result<DirUser, String> {
    let a = &settings.attributes;
    let external_id = match settings.kind {
        // objectGUID is 16 bytes; hex keeps it readable and stable.
        DirectoryKind::Ad => entry
            .bytes(&a.id)
            .map(|b| b.iter().map(|x| format!("{x:02x}")).collect::<String>()),
        DirectoryKind::Ldap => entry.text(&a.id),
    }
    .ok_or_else(|| {
        format!(
            "{}: no {} attribute (the unique id); check directory.id_attribute",
            entry.dn, a.id
        )
    })?;
    let username = entry
        .text(&a.username)
        .ok_or_else(|| format!("{}: no {} attribute (the username)", entry.dn, a.username))?;
    let control = entry
        .text("userAccountControl")
        .and_then(|t| t.parse::<u32>().ok())
        .unwrap_or(0);
    Ok(DirUser {
        external_id,
        dn: entry.dn.clone(),
        username,
        display_name: entry.text(&a.display_name),
        email: entry.text(&a.email),
        phone: entry.text(&a.mobile).or_else(|| entry.text(&a.phone)),
        enabled: settings.kind != DirectoryKind::Ad || control & ACCOUNT_DISABLE == 0,
    })
}

pub struct Synced {
    pub report: SyncReport,
}

/// One run: read every user from the directory, then decide and apply.
pub async fn run(
    app: &App,
    config: &DirectoryConfig,
    mode: SyncMode,
    on_page: impl FnMut(usize),
) -> anyhow::Result<Synced> {
    let directory = Directory::new(config.settings.clone()).map_err(|e| anyhow::anyhow!("{e}"))?;
    let entries = directory
        .users(on_page)
        .await
        .map_err(|e: DirError| anyhow::anyhow!("{e}"))?;
    let mut users = Vec::with_capacity(entries.len());
    let mut skipped = Vec::new();
    for entry in &entries {
        match to_user(entry, &config.settings) {
            Ok(user) => users.push(user),
            Err(why) => skipped.push(why),
        }
    }
    let sync = syncer(app, config);
    let mut report = sync
        .run(users, mode)
        .await
        .map_err(|e: DomainError| anyhow::anyhow!("{e}"))?;
    report.errors.extend(skipped);
    Ok(Synced { report })
}

pub fn syncer(app: &App, config: &DirectoryConfig) -> DirectorySync {
    DirectorySync::new(
        app.store.clone(),
        Arc::clone(&app.clock),
        config.policy.clone(),
    )
}
