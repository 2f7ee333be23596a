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

/// What a run needs, cloned from the app (a scheduled run outlives the call).
#[derive(Clone)]
pub struct Runner {
    store: Arc<dyn countersign_domain::Store>,
    clock: Arc<dyn countersign_domain::clock::Clock>,
    welcome: countersign_domain::welcome::Welcome,
    config: DirectoryConfig,
}

impl Runner {
    pub fn new(app: &App, config: &DirectoryConfig) -> Runner {
        Runner {
            store: app.store.clone(),
            clock: app.clock.clone(),
            welcome: app.welcome.clone(),
            config: config.clone(),
        }
    }

    pub fn sync(&self) -> DirectorySync {
        DirectorySync::new(
            self.store.clone(),
            self.clock.clone(),
            self.config.policy.clone(),
        )
    }

    /// One run: read every user from the directory, then decide and apply;
    /// users the run adds or enables get the welcome email by its rule.
    pub async fn run(
        &self,
        mode: SyncMode,
        on_page: impl FnMut(usize),
    ) -> anyhow::Result<SyncReport> {
        let settings = &self.config.settings;
        let directory = Directory::new(settings.clone()).map_err(|e| anyhow::anyhow!("{e}"))?;
        let entries = directory
            .users(on_page)
            .await
            .map_err(|e: DirError| anyhow::anyhow!("{e}"))?;
        let mut users = Vec::with_capacity(entries.len());
        let mut skipped = Vec::new();
        for entry in &entries {
            match to_user(entry, settings) {
                Ok(user) => users.push(user),
                Err(why) => skipped.push(why),
            }
        }
        let mut report = self
            .sync()
            .run(users, mode)
            .await
            .map_err(|e: DomainError| anyhow::anyhow!("{e}"))?;
        report.errors.extend(skipped);
        if report.status == "applied" {
            for change in report
                .changes
                .iter()
                .filter(|c| c.action == "add" || c.action == "enable")
            {
                if let Err(e) = self.welcome.consider(&change.username).await {
                    report
                        .errors
                        .push(format!("welcome email for {}: {e}", change.username));
                }
            }
        }
        Ok(report)
    }

    /// Runs every `interval` on the node that holds the lease.
    pub fn schedule(self, node: String) {
        let interval = std::time::Duration::from_secs(self.config.interval_seconds);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(interval);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                // Held a little longer than a run may take; renewed each time.
                let hold = (self.config.interval_seconds as i64).max(60) + 60;
                match self.sync().lease(&node, hold).await {
                    Ok(true) => {}
                    Ok(false) => continue,
                    Err(e) => {
                        tracing::warn!(error = %e, "directory sync: cannot take the lease");
                        continue;
                    }
                }
                if let Err(e) = self.run(SyncMode::Normal, |_| {}).await {
                    tracing::error!(error = %e, "directory sync failed; the next run is in directory.interval_minutes");
                }
            }
        });
    }
}

/// The portal's passwords are the directory's.
pub struct DirectoryPasswords(pub Directory);

#[async_trait::async_trait]
impl countersign_domain::portal::PasswordDirectory for DirectoryPasswords {
    async fn password_matches(&self, username: &str, password: &str) -> Result<bool, DomainError> {
        match self.0.check_password(username, password).await {
            Ok(countersign_directory::PasswordCheck::Right { .. }) => Ok(true),
            Ok(countersign_directory::PasswordCheck::MustChange { dn, detail }) => {
                tracing::warn!(user = %username, dn = %dn, detail = %detail, "directory password expired or must change");
                Ok(false)
            }
            Ok(_) => Ok(false),
            Err(e) => Err(DomainError::Store(countersign_domain::StoreError::Backend(
                format!("the directory: {e}"),
            ))),
        }
    }
}
