//! A run's planned steps as the report counts them and the store writes
//! them: in batches of [`BATCH`] users, one transaction each (a first sync
//! of 100,000 users made 200,000 commits before). A batch that fails is
//! written again one user at a time, so one bad entry fails alone and the
//! error names it.

use super::{OnRemoval, Step};
use crate::model::directory::{DirUser, DirectoryLink, DirectoryWrite, SyncReport};
use crate::model::ids::new_id;
use crate::model::user::User;
use crate::ports::DirectorySyncPorts;

use crate::model::directory::Change;

/// Users written per transaction: large enough that the commit is a small
/// part of the cost, small enough that a failed batch is cheap to redo.
pub(super) const BATCH: usize = 500;

/// Counts `step` in the report and returns what to write for it, with the
/// username its errors name.
pub(super) fn record(
    step: Step,
    on_removal: OnRemoval,
    now: i64,
    report: &mut SyncReport,
) -> (String, DirectoryWrite) {
    match step {
        Step::Add(entry) => record_add(entry, now, report),
        Step::Update {
            user,
            entry,
            link,
            what,
        } => record_update(user, entry, link, &what, now, report),
        Step::Leave { user, link } => record_leave(user, link, on_removal, now, report),
    }
}

fn record_add(entry: DirUser, now: i64, report: &mut SyncReport) -> (String, DirectoryWrite) {
    report.added += 1;
    report.changes.push(Change {
        username: entry.username.clone(),
        action: "add",
        detail: entry.dn.clone(),
    });
    let mut user = User::blank(new_id("usr"), entry.username.clone(), now);
    fill(&mut user, &entry);
    let link = link_of(&user, entry);
    (user.username.clone(), DirectoryWrite::Add { user, link })
}

fn record_update(
    mut user: User,
    entry: DirUser,
    link: Option<DirectoryLink>,
    what: &[&'static str],
    now: i64,
    report: &mut SyncReport,
) -> (String, DirectoryWrite) {
    report.updated += 1;
    let action = if what.contains(&"disabled") {
        "disable"
    } else if what.contains(&"enabled") {
        "enable"
    } else {
        "update"
    };
    if action == "disable" {
        report.disabled += 1;
    }
    report.changes.push(Change {
        username: entry.username.clone(),
        action,
        detail: what.join(", "),
    });
    let rename = what.contains(&"username");
    let was_disabled_by_sync = link.as_ref().is_some_and(|l| l.disabled_by_sync);
    // Enabled again only when the sync was what disabled them.
    let enabled = entry.enabled && (user.enabled || was_disabled_by_sync);
    fill(&mut user, &entry);
    user.username = entry.username.clone();
    user.enabled = enabled;
    user.updated_at = now;
    let link = link_of(&user, entry);
    let name = user.username.clone();
    (name, DirectoryWrite::Update { user, rename, link })
}

fn record_leave(
    mut user: User,
    link: DirectoryLink,
    on_removal: OnRemoval,
    now: i64,
    report: &mut SyncReport,
) -> (String, DirectoryWrite) {
    let remove = on_removal == OnRemoval::Remove;
    match remove {
        true => report.removed += 1,
        false => report.disabled += 1,
    }
    report.changes.push(Change {
        username: user.username.clone(),
        action: if remove { "remove" } else { "disable" },
        detail: "no longer in the directory or the group".into(),
    });
    let name = user.username.clone();
    if remove {
        return (name, DirectoryWrite::Remove { user_id: user.id });
    }
    user.enabled = false;
    user.updated_at = now;
    let link = DirectoryLink {
        disabled_by_sync: true,
        ..link
    };
    let write = DirectoryWrite::Update {
        user,
        rename: false,
        link,
    };
    (name, write)
}

/// Writes waiting for their batch, and the usernames their errors name.
#[derive(Default)]
pub(super) struct Pending {
    names: Vec<String>,
    writes: Vec<DirectoryWrite>,
}

impl Pending {
    pub(super) fn push(&mut self, (name, write): (String, DirectoryWrite)) {
        self.names.push(name);
        self.writes.push(write);
    }

    pub(super) fn full(&self) -> bool {
        self.writes.len() >= BATCH
    }

    /// Writes the batch in one transaction, or (when that fails) each user
    /// on their own; errors go to `errors` with the user's name.
    pub(super) async fn flush(
        &mut self,
        store: &dyn DirectorySyncPorts,
        now: i64,
        errors: &mut Vec<String>,
    ) {
        if self.writes.is_empty() {
            return;
        }
        if let Err(e) = store.apply_directory_writes(&self.writes, now).await {
            if self.writes.len() == 1 {
                errors.push(format!("{}: {e}", self.names[0]));
            } else {
                tracing::warn!(error = %e, users = self.writes.len(),
                    "directory sync: a batch failed; writing its users one by one");
                for (name, write) in self.names.iter().zip(&self.writes) {
                    let one = std::slice::from_ref(write);
                    if let Err(e) = store.apply_directory_writes(one, now).await {
                        errors.push(format!("{name}: {e}"));
                    }
                }
            }
        }
        self.names.clear();
        self.writes.clear();
    }
}

/// The link for `user` from their directory entry.
fn link_of(user: &User, entry: DirUser) -> DirectoryLink {
    DirectoryLink {
        user_id: user.id.clone(),
        external_id: entry.external_id,
        dn: entry.dn,
        disabled_by_sync: !entry.enabled,
    }
}

/// Copies the directory's attributes onto the user (the name is the store's rename).
fn fill(user: &mut User, entry: &DirUser) {
    user.display_name = entry.display_name.clone();
    user.email = entry.email.clone();
    user.phone = entry.phone.clone();
    user.enabled = entry.enabled;
}
