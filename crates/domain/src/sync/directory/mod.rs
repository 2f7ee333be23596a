//! Directory sync (MFA Server's "Directory Integration"): users keyed by
//! the directory's unique id, so renames follow; new users created,
//! changed attributes updated (phones to E.164), users that left the group
//! or the directory disabled (or removed), accounts disabled in the
//! directory disabled here; and a run that would disable or remove more
//! than the threshold stops before changing anything until approved.
//! The directory itself is read by the caller (crate `directory`); this
//! module decides and applies.

use crate::model::directory::DirGroup;
use crate::model::directory::DirUser;
use crate::model::directory::DirectoryLink;
use crate::model::directory::SyncMode;
use crate::model::directory::SyncReport;
use crate::model::directory::SyncScope;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::model::error::DomainError;
use crate::model::user::{self, User, UserQuery, MAX_PAGE};
use crate::ports::clock::Clock;
use crate::ports::{DirectorySyncPorts, MetaStore};

mod apply;
mod groups;
mod membership;
mod status;

pub use status::SyncStatus;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnRemoval {
    Disable,
    Remove,
}

#[derive(Debug, Clone)]
pub struct SyncPolicy {
    pub on_removal: OnRemoval,
    /// More disables or removals than this in one run wait for approval.
    pub approval_threshold: usize,
    /// For numbers without one, e.g. `44`.
    pub default_country_code: Option<String>,
}

impl Default for SyncPolicy {
    fn default() -> Self {
        Self {
            on_removal: OnRemoval::Disable,
            approval_threshold: 5,
            default_country_code: None,
        }
    }
}

const LAST_RUN_KEY: &str = "directory.last_run";

/// The lease that keeps the sync on one node at a time.
pub const SYNC_LEASE: &str = "directory.sync";

#[derive(Clone)]
pub struct DirectorySync {
    store: Arc<dyn DirectorySyncPorts>,
    clock: Arc<dyn Clock>,
    policy: SyncPolicy,
}

/// Planned work: what to do to which user.
enum Step {
    Add(DirUser),
    Update {
        user: User,
        entry: DirUser,
        link: Option<DirectoryLink>,
        what: Vec<&'static str>,
    },
    Leave {
        user: User,
        link: DirectoryLink,
    },
}

impl DirectorySync {
    pub fn new(
        store: Arc<dyn DirectorySyncPorts>,
        clock: Arc<dyn Clock>,
        policy: SyncPolicy,
    ) -> Self {
        Self {
            store,
            clock,
            policy,
        }
    }

    /// Whether this node (`holder`) may run the sync now: it holds the lease for `seconds`.
    pub async fn lease(&self, holder: &str, seconds: i64) -> Result<bool, DomainError> {
        let now = self.clock.now();
        Ok(self
            .store
            .take_lease(SYNC_LEASE, holder, now, now + seconds)
            .await?)
    }

    /// The last run's summary from `store` (the API's status).
    pub async fn read_last_run(store: &dyn MetaStore) -> Result<Option<SyncReport>, DomainError> {
        status::read(store).await
    }

    /// The last run's summary, if any ran.
    pub async fn last_run(&self) -> Result<Option<SyncReport>, DomainError> {
        Self::read_last_run(self.store.as_ref()).await
    }

    /// Plans and (by `mode`) applies a run over every user the directory returned.
    pub async fn run(
        &self,
        entries: Vec<DirUser>,
        mode: SyncMode,
        scope: SyncScope,
    ) -> Result<SyncReport, DomainError> {
        self.run_with_groups(entries, None, mode, scope).await
    }

    /// As [`DirectorySync::run`], with the directory's groups (every group
    /// entry): the users' groups, nested ones followed, are kept too.
    pub async fn run_with_groups(
        &self,
        entries: Vec<DirUser>,
        groups: Option<Vec<DirGroup>>,
        mode: SyncMode,
        scope: SyncScope,
    ) -> Result<SyncReport, DomainError> {
        let graph = groups.map(membership::GroupGraph::new);
        let memberships = groups::memberships(graph.as_ref(), &entries);
        let started = Instant::now();
        let mut report = SyncReport {
            scope: match scope {
                SyncScope::Full => "full",
                SyncScope::Changes => "changes",
            }
            .into(),
            at: self.clock.now(),
            seen: entries.len(),
            ..SyncReport::default()
        };
        let mut steps = self.plan(entries, &mut report.errors).await?;
        if scope == SyncScope::Changes {
            // Only changed entries were read: absent ones have not left.
            steps.retain(|s| !matches!(s, Step::Leave { .. }));
        }
        let leaving = steps.iter().filter(|s| matches!(s, Step::Leave { user, .. } if user.enabled || self.policy.on_removal == OnRemoval::Remove)).count();
        let over = leaving > self.policy.approval_threshold;
        report.status = match (mode, over) {
            (SyncMode::DryRun, _) => "dry_run",
            (SyncMode::Normal, true) => "awaiting_approval",
            _ => "applied",
        }
        .into();
        let apply = report.status == "applied";
        let now = self.clock.now();
        let mut pending = apply::Pending::default();
        for step in steps {
            let write = apply::record(step, self.policy.on_removal, now, &mut report);
            if apply {
                pending.push(write);
                if pending.full() {
                    pending
                        .flush(self.store.as_ref(), now, &mut report.errors)
                        .await;
                }
            }
        }
        pending
            .flush(self.store.as_ref(), now, &mut report.errors)
            .await;
        if let (true, Some(graph)) = (apply, &graph) {
            let store = self.store.as_ref();
            groups::apply(store, graph, &memberships, scope, now, &mut report).await?;
        }
        if over && mode == SyncMode::Normal {
            report.errors.push(format!(
                "this run would disable or remove {leaving} users, more than directory.approval_threshold ({}): nothing was changed; check the directory, then run `countersign directory sync --approve`",
                self.policy.approval_threshold
            ));
            tracing::warn!(
                leaving,
                threshold = self.policy.approval_threshold,
                "directory sync waits for approval"
            );
        }
        report.duration_ms = started.elapsed().as_millis() as u64;
        if mode != SyncMode::DryRun {
            let json = serde_json::to_vec(&report)
                .map_err(|e| DomainError::invalid("report", e.to_string()))?;
            self.store.put_meta(LAST_RUN_KEY, &json).await?;
        }
        tracing::info!(status = %report.status, seen = report.seen, added = report.added, updated = report.updated,
            disabled = report.disabled, removed = report.removed, errors = report.errors.len(), ms = report.duration_ms,
            "directory sync");
        Ok(report)
    }

    async fn all_users(&self) -> Result<HashMap<String, User>, DomainError> {
        let mut users = HashMap::new();
        let mut query = UserQuery {
            limit: MAX_PAGE,
            ..UserQuery::default()
        };
        loop {
            let page = self.store.list_users(&query).await?;
            let last = page.last().map(|u| u.username.clone());
            let full = page.len() == MAX_PAGE as usize;
            users.extend(page.into_iter().map(|u| (u.id.clone(), u)));
            match (full, last) {
                (true, Some(last)) => query.after = Some(last),
                _ => return Ok(users),
            }
        }
    }

    async fn plan(
        &self,
        entries: Vec<DirUser>,
        errors: &mut Vec<String>,
    ) -> Result<Vec<Step>, DomainError> {
        let mut users = self.all_users().await?;
        let links: HashMap<String, DirectoryLink> = self
            .store
            .directory_links()
            .await?
            .into_iter()
            .map(|l| (l.external_id.clone(), l))
            .collect();
        let linked_ids: std::collections::HashSet<String> =
            links.values().map(|l| l.user_id.clone()).collect();
        let by_name: HashMap<String, String> = users
            .values()
            .map(|u| (user::username_key(&u.username), u.id.clone()))
            .collect();
        let mut steps = Vec::new();
        let mut seen_users = std::collections::HashSet::new();
        for raw in entries {
            let entry = match self.clean(raw) {
                Ok(entry) => entry,
                Err(e) => {
                    errors.push(e);
                    continue;
                }
            };
            let link = links.get(&entry.external_id).cloned();
            let existing = match &link {
                Some(link) => users.get(&link.user_id).cloned(),
                // Adopt a user made by hand with the same name, not yet linked.
                None => by_name
                    .get(&user::username_key(&entry.username))
                    .filter(|id| !linked_ids.contains(*id))
                    .and_then(|id| users.get(id).cloned()),
            };
            match existing {
                Some(user) => {
                    seen_users.insert(user.id.clone());
                    let what = differences(&user, &entry, link.as_ref());
                    if !what.is_empty() || link.is_none() {
                        steps.push(Step::Update {
                            user,
                            entry,
                            link,
                            what,
                        });
                    }
                }
                None => steps.push(Step::Add(entry)),
            }
        }
        for link in links.into_values() {
            if seen_users.contains(&link.user_id) {
                continue;
            }
            if let Some(user) = users.remove(&link.user_id) {
                let gone = match self.policy.on_removal {
                    OnRemoval::Disable => user.enabled,
                    OnRemoval::Remove => true,
                };
                if gone {
                    steps.push(Step::Leave { user, link });
                }
            }
        }
        Ok(steps)
    }

    /// Checks and normalises one entry; an error names the entry.
    fn clean(&self, mut entry: DirUser) -> Result<DirUser, String> {
        let name = entry.username.clone();
        user::validate_username(&entry.username)
            .map_err(|e| format!("{} ({name}): {e}", entry.dn))?;
        entry.phone = match entry.phone.as_deref() {
            Some(raw) => Some(
                e164(raw, self.policy.default_country_code.as_deref())
                    .map_err(|e| format!("{} ({name}): {e}", entry.dn))?,
            ),
            None => None,
        };
        if let Some(email) = &entry.email {
            if user::validate_email(email).is_err() {
                entry.email = None;
            }
        }
        Ok(entry)
    }
}

/// What differs between the user and the directory's entry.
fn differences(user: &User, entry: &DirUser, link: Option<&DirectoryLink>) -> Vec<&'static str> {
    let mut what = Vec::new();
    if user.username != entry.username {
        what.push("username");
    }
    if user.display_name != entry.display_name {
        what.push("display_name");
    }
    if user.email != entry.email {
        what.push("email");
    }
    if user.phone != entry.phone {
        what.push("phone");
    }
    let disabled_by_sync = link.is_some_and(|l| l.disabled_by_sync);
    if user.enabled && !entry.enabled {
        what.push("disabled");
    } else if !user.enabled && entry.enabled && disabled_by_sync {
        what.push("enabled");
    }
    what
}

/// A directory's phone number in E.164: `+` kept, `00` read as `+`, a
/// national number given the default country code (its leading 0 dropped);
/// an extension (`x123`, `ext. 123`) is not part of the number.
pub fn e164(raw: &str, default_country_code: Option<&str>) -> Result<String, String> {
    let lower = raw.to_ascii_lowercase();
    let main = lower
        .split(['x', ';', ','])
        .next()
        .unwrap_or("")
        .split("ext")
        .next()
        .unwrap_or("");
    let plus = main.trim_start().starts_with('+');
    let digits: String = main.chars().filter(char::is_ascii_digit).collect();
    let number = if plus {
        format!("+{digits}")
    } else if let Some(rest) = digits.strip_prefix("00") {
        format!("+{rest}")
    } else if let Some(cc) = default_country_code {
        format!(
            "+{}{}",
            cc.trim_start_matches('+'),
            digits.trim_start_matches('0')
        )
    } else {
        return Err(format!(
            "phone '{raw}' has no country code: set directory.default_country_code"
        ));
    };
    user::normalize_phone(&number).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::e164;

    #[test]
    fn phones_become_e164() {
        assert_eq!(
            e164("+44 1632 960123", None).as_deref(),
            Ok("+441632960123")
        );
        assert_eq!(
            e164("0044 1632 960123", None).as_deref(),
            Ok("+441632960123")
        );
        assert_eq!(
            e164("01632 960123", Some("44")).as_deref(),
            Ok("+441632960123")
        );
        assert_eq!(
            e164("(555) 000-0001 x204", Some("1")).as_deref(),
            Ok("+15550000001")
        );
        assert_eq!(
            e164("+1 555 000 0001 ext. 12", None).as_deref(),
            Ok("+15550000001")
        );
        assert!(e164("01632 960123", None).is_err());
        assert!(e164("call me", Some("44")).is_err());
    }
}
