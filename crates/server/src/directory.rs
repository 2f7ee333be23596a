//! The directory sync as the server runs it: entries read by the
//! directory client, turned into the domain's users, the run decided and
//! applied by `DirectorySync`.

use std::sync::Arc;

use countersign_directory::{DirEntry, DirError, Directory, DirectoryKind, DirectorySettings};
use countersign_domain::model::directory::{DirUser, SyncMode, SyncReport, SyncScope};
use countersign_domain::sync::directory::DirectorySync;
use countersign_domain::DomainError;

use crate::app::App;
use crate::config::DirectoryConfig;

mod groups;
mod welcome;

/// Where the newest change a run saw is kept, and when the last full run was.
const MARK_KEY: &str = "directory.mark";
const LAST_FULL_KEY: &str = "directory.last_full";
const GROUP_MARK_KEY: &str = "directory.group_mark";
/// The fingerprint of the last run's group search (docs/decisions/0011).
const GROUPS_KEY: &str = "directory.groups";
/// A full run (which finds users who left) at least once a day.
const FULL_EVERY_SECONDS: i64 = 86_400;
/// The newest change mark among the entries a run read: the largest
/// uSNChanged (a number) or entryCSN (a timestamp with microseconds first,
/// which sorts as text).
#[derive(Default)]
struct NewestChange {
    number: Option<u64>,
    text: Option<String>,
}

impl NewestChange {
    fn see(&mut self, entry: &DirEntry, attribute: &str, kind: DirectoryKind) {
        let Some(value) = entry.text(attribute) else {
            return;
        };
        match kind {
            DirectoryKind::Ad => {
                if let Ok(n) = value.parse::<u64>() {
                    self.number = self.number.max(Some(n));
                }
            }
            DirectoryKind::Ldap => {
                if self.text.as_ref().is_none_or(|t| value > *t) {
                    self.text = Some(value);
                }
            }
        }
    }

    fn mark(self) -> Option<String> {
        self.number.map(|n| n.to_string()).or(self.text)
    }
}

/// An objectGUID's 16 bytes as `e916b4e4-eb6a-405f-ade5-5bda672f4b99`:
/// the first three fields are little-endian (what `Get-ADUser`, ldp.exe
/// and `<GUID=...>` search bases use); `None` for any other length.
pub fn guid_text(bytes: &[u8]) -> Option<String> {
    let b: &[u8; 16] = bytes.try_into().ok()?;
    let hex = |part: &[u8]| part.iter().map(|x| format!("{x:02x}")).collect::<String>();
    let reversed = |part: &[u8]| hex(&part.iter().rev().copied().collect::<Vec<u8>>());
    Some(format!(
        "{}-{}-{}-{}-{}",
        reversed(&b[0..4]),
        reversed(&b[4..6]),
        reversed(&b[6..8]),
        hex(&b[8..10]),
        hex(&b[10..16])
    ))
}

/// AD's userAccountControl bit for a disabled account.
const ACCOUNT_DISABLE: u32 = 0x2;

/// The directory's entry as a user, or why it is skipped.
pub fn to_user(entry: &DirEntry, settings: &DirectorySettings) -> Result<DirUser, String> {
    let a = &settings.attributes;
    let external_id = match (settings.kind, entry.bytes(&a.id)) {
        // objectGUID is 16 bytes: kept in the text form AD's own tools show.
        (DirectoryKind::Ad, Some(b)) if a.id.eq_ignore_ascii_case("objectGUID") => guid_text(b),
        _ => entry.text(&a.id),
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
        groups: entry.texts(countersign_directory::MEMBER_OF),
    })
}

/// For `/metrics`: the last run this process made (the node that holds
/// the lease runs them), and the users each run changed.
pub struct DirectoryMetrics {
    last_sync: std::sync::atomic::AtomicI64,
    awaiting_approval: std::sync::atomic::AtomicBool,
    changes: countersign_domain::metrics::LabelledCounter,
}

impl DirectoryMetrics {
    pub fn new() -> DirectoryMetrics {
        DirectoryMetrics {
            last_sync: std::sync::atomic::AtomicI64::new(0),
            awaiting_approval: std::sync::atomic::AtomicBool::new(false),
            changes: countersign_domain::metrics::LabelledCounter::new(&[
                "add", "update", "enable", "disable", "remove",
            ]),
        }
    }

    fn record(&self, report: &SyncReport) {
        use std::sync::atomic::Ordering::Relaxed;
        self.awaiting_approval
            .store(report.status == "awaiting_approval", Relaxed);
        if report.status == "applied" {
            self.last_sync.store(report.at, Relaxed);
            for change in &report.changes {
                self.changes.add(change.action);
            }
        }
    }
}

impl Default for DirectoryMetrics {
    fn default() -> Self {
        Self::new()
    }
}

impl countersign_domain::metrics::MetricsSource for DirectoryMetrics {
    fn render(&self, out: &mut String) {
        use std::fmt::Write;
        use std::sync::atomic::Ordering::Relaxed;
        let last = self.last_sync.load(Relaxed);
        if last > 0 {
            let _ = writeln!(out, "# HELP countersign_directory_last_sync_timestamp_seconds When this node last completed a directory sync.");
            let _ = writeln!(
                out,
                "# TYPE countersign_directory_last_sync_timestamp_seconds gauge"
            );
            let _ = writeln!(
                out,
                "countersign_directory_last_sync_timestamp_seconds {last}"
            );
        }
        let _ = writeln!(out, "# HELP countersign_directory_awaiting_approval 1 while a sync waits for `countersign directory sync --approve`.");
        let _ = writeln!(out, "# TYPE countersign_directory_awaiting_approval gauge");
        let _ = writeln!(
            out,
            "countersign_directory_awaiting_approval {}",
            u8::from(self.awaiting_approval.load(Relaxed))
        );
        self.changes.render(
            "countersign_directory_changes_total",
            "action",
            "Users the directory sync changed, by action.",
            out,
        );
    }
}

/// What a run needs, cloned from the app (a scheduled run outlives the call).
#[derive(Clone)]
pub struct Runner {
    store: Arc<dyn countersign_domain::Store>,
    clock: Arc<dyn countersign_domain::ports::clock::Clock>,
    welcome: countersign_domain::sync::welcome::Welcome,
    config: DirectoryConfig,
    metrics: Arc<DirectoryMetrics>,
}

impl Runner {
    pub fn new(app: &App, config: &DirectoryConfig) -> Runner {
        Runner {
            store: app.store.clone(),
            clock: app.clock.clone(),
            welcome: app.welcome.clone(),
            config: config.clone(),
            metrics: app.directory_metrics.clone(),
        }
    }

    pub fn sync(&self) -> DirectorySync {
        DirectorySync::new(
            self.store.clone(),
            self.clock.clone(),
            self.config.policy.clone(),
        )
    }

    /// The change mark to read from, or `None` for a full run: asked for,
    /// never done, or a day since the last full run.
    async fn changes_since(&self, full: bool) -> anyhow::Result<Option<String>> {
        if full {
            return Ok(None);
        }
        let text = |bytes: Option<Vec<u8>>| bytes.and_then(|b| String::from_utf8(b).ok());
        let mark = text(self.store.get_meta(MARK_KEY).await?);
        let last_full =
            text(self.store.get_meta(LAST_FULL_KEY).await?).and_then(|t| t.parse::<i64>().ok());
        let fresh = last_full.is_some_and(|at| self.clock.now() - at < FULL_EVERY_SECONDS);
        Ok(mark.filter(|_| fresh))
    }

    /// One run: read the users from the directory (every one, or those
    /// changed since the last run), then decide and apply; users the run adds
    /// or enables get the welcome email by its rule.
    pub async fn run(
        &self,
        mode: SyncMode,
        full: bool,
        on_page: impl FnMut(usize),
    ) -> anyhow::Result<SyncReport> {
        let settings = &self.config.settings;
        let directory = Directory::new(settings.clone()).map_err(|e| anyhow::anyhow!("{e}"))?;
        let mut since = self.changes_since(full).await?;
        // Someone joined or left the group (its own mark moved): only a full run sees who.
        let group_mark = directory
            .group_change()
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let known_group = self
            .store
            .get_meta(GROUP_MARK_KEY)
            .await?
            .and_then(|b| String::from_utf8(b).ok());
        // Any group changed (a membership, a group added or removed): a full run.
        let groups = groups::read(&directory).await?;
        let known_groups = self.store.get_meta(GROUPS_KEY).await?;
        if group_mark != known_group
            || known_groups.as_deref() != Some(groups.fingerprint.as_bytes())
        {
            since = None;
        }
        let scope = match since {
            Some(_) => SyncScope::Changes,
            None => SyncScope::Full,
        };
        // Each entry becomes a user as it arrives; the entries are not kept.
        let mut newest = NewestChange::default();
        let attribute = directory.change_attribute();
        let read = directory
            .users(since.as_deref(), on_page, |entry| {
                newest.see(&entry, attribute, settings.kind);
                to_user(&entry, settings)
            })
            .await
            .map_err(|e: DirError| anyhow::anyhow!("{e}"))?;
        let mark = newest.mark();
        let mut users = Vec::with_capacity(read.len());
        let mut skipped = Vec::new();
        for entry in read {
            match entry {
                Ok(user) => users.push(user),
                Err(why) => skipped.push(why),
            }
        }
        let mut report = self
            .sync()
            .run_with_groups(users, Some(groups.groups), mode, scope)
            .await
            .map_err(|e: DomainError| anyhow::anyhow!("{e}"))?;
        report.errors.extend(skipped);
        report.errors.extend(groups.skipped);
        self.metrics.record(&report);
        if report.status == "applied" {
            self.keep_marks(mark.or(since), scope).await?;
            if let Some(group) = &group_mark {
                self.store
                    .put_meta(GROUP_MARK_KEY, group.as_bytes())
                    .await?;
            }
            let fingerprint = groups.fingerprint.as_bytes();
            self.store.put_meta(GROUPS_KEY, fingerprint).await?;
            self.welcome_new(&mut report).await;
        }
        Ok(report)
    }

    async fn keep_marks(&self, mark: Option<String>, scope: SyncScope) -> anyhow::Result<()> {
        if let Some(mark) = mark {
            self.store.put_meta(MARK_KEY, mark.as_bytes()).await?;
        }
        if scope == SyncScope::Full {
            let now = self.clock.now().to_string();
            self.store.put_meta(LAST_FULL_KEY, now.as_bytes()).await?;
        }
        Ok(())
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
                if let Err(e) = self.run(SyncMode::Normal, false, |_| {}).await {
                    tracing::error!(error = %e, "directory sync failed; the next run is in directory.interval_minutes");
                }
            }
        });
    }
}

/// The portal's passwords are the directory's.
/// Binds run in the work pool's directory lane (bounded; busy when full).
pub struct DirectoryPasswords(pub Directory, pub countersign_domain::throttle::WorkPool);

#[async_trait::async_trait]
impl countersign_domain::portal::PasswordDirectory for DirectoryPasswords {
    async fn password_owner(
        &self,
        username: &str,
        password: &str,
    ) -> Result<Option<String>, DomainError> {
        use countersign_directory::PasswordCheck;
        let checked = self.1.directory(self.0.check_password(username, password));
        match checked.await? {
            Ok(PasswordCheck::Right { username, .. }) => Ok(Some(username)),
            Ok(PasswordCheck::MustChange { dn, detail, .. }) => {
                tracing::warn!(user = %username, dn = %dn, detail = %detail, "directory password expired or must change");
                Ok(None)
            }
            Ok(_) => Ok(None),
            Err(e) => Err(DomainError::Store(countersign_domain::StoreError::Backend(
                format!("the directory: {e}"),
            ))),
        }
    }
}

#[async_trait::async_trait]
impl countersign_domain::ports::SyncTrigger for Runner {
    async fn run_now(&self, mode: SyncMode) -> Result<SyncReport, DomainError> {
        self.run(mode, true, |_| {})
            .await
            .map_err(|e| DomainError::Store(countersign_domain::StoreError::Backend(e.to_string())))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn guids_read_as_ad_writes_them() {
        let bytes: Vec<u8> = (0u8..16).collect();
        assert_eq!(
            super::guid_text(&bytes).as_deref(),
            Some("03020100-0504-0706-0809-0a0b0c0d0e0f")
        );
        assert_eq!(super::guid_text(&bytes[..15]), None);
    }
}
