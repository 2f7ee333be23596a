//! A run's groups: the directory's groups that have synced members become
//! (or stay) Countersign groups of source `directory`, found by the
//! directory's id; their members are set to the synced users in them
//! (nested groups followed). A full run sets every such group's members
//! and removes directory groups the directory no longer has; a run of
//! changes only adds the changed users to their groups (a membership
//! change moves a group's mark, which makes the run full: see
//! docs/decisions/0011). Local groups are never touched; a directory
//! group whose name a local group holds is reported, not taken.

use std::collections::{BTreeSet, HashMap};

use super::membership::GroupGraph;
use crate::model::directory::{DirGroup, DirUser, SyncReport, SyncScope};
use crate::model::error::DomainError;
use crate::model::group::{Group, GroupSource};
use crate::ports::DirectorySyncPorts;

/// Each synced user's groups, by the user's and the groups' directory ids.
pub(super) type Memberships = Vec<(String, BTreeSet<String>)>;

/// Each entry's groups, nested ones followed (none without the groups).
pub(super) fn memberships(graph: Option<&GroupGraph>, entries: &[DirUser]) -> Memberships {
    let Some(graph) = graph else {
        return Vec::new();
    };
    entries
        .iter()
        .map(|e| (e.external_id.clone(), graph.groups_of(e)))
        .collect()
}

/// Writes the run's groups and memberships; errors go to the report.
pub(super) async fn apply(
    store: &dyn DirectorySyncPorts,
    graph: &GroupGraph,
    memberships: &Memberships,
    scope: SyncScope,
    now: i64,
    report: &mut SyncReport,
) -> Result<(), DomainError> {
    let users: HashMap<String, String> = store
        .directory_links()
        .await?
        .into_iter()
        .map(|l| (l.external_id, l.user_id))
        .collect();
    // Group directory id -> the synced user ids in it.
    let mut members: HashMap<&str, Vec<String>> = HashMap::new();
    for (external_id, groups) in memberships {
        let Some(user_id) = users.get(external_id) else {
            continue;
        };
        for group in groups {
            members
                .entry(group.as_str())
                .or_default()
                .push(user_id.clone());
        }
    }
    let existing: HashMap<String, Group> = store
        .list_groups()
        .await?
        .into_iter()
        .filter(|g| g.group.source == GroupSource::Directory)
        .filter_map(|g| g.group.directory_id.clone().map(|id| (id, g.group)))
        .collect();
    let in_directory: HashMap<&str, &DirGroup> = graph
        .groups()
        .iter()
        .map(|g| (g.external_id.as_str(), g))
        .collect();
    for (directory_id, user_ids) in &members {
        let Some(found) = in_directory.get(directory_id) else {
            continue;
        };
        let group = match existing.get(*directory_id) {
            Some(group) => group.clone(),
            None => match create(store, found, now, report).await? {
                Some(group) => group,
                None => continue,
            },
        };
        let written = match scope {
            SyncScope::Full => store.set_group_members(&group.id, user_ids).await,
            SyncScope::Changes => add_each(store, &group.id, user_ids).await,
        };
        if let Err(e) = written {
            report.errors.push(format!("group {}: {e}", group.name));
        }
    }
    report.groups = members.len();
    if scope == SyncScope::Full {
        for (directory_id, group) in &existing {
            if members.contains_key(directory_id.as_str()) {
                continue;
            }
            let gone = !in_directory.contains_key(directory_id.as_str());
            let done = match gone {
                // Removed from the directory: the group leaves.
                true => store.delete_group(&group.name).await.map(|_| ()),
                // Still there, no synced member left.
                false => store.set_group_members(&group.id, &[]).await,
            };
            match done {
                Ok(()) if gone => report.groups_removed += 1,
                Ok(()) => {}
                Err(e) => report.errors.push(format!("group {}: {e}", group.name)),
            }
        }
    }
    Ok(())
}

/// A new directory group; `None` (reported) when its name is taken.
async fn create(
    store: &dyn DirectorySyncPorts,
    found: &DirGroup,
    now: i64,
    report: &mut SyncReport,
) -> Result<Option<Group>, DomainError> {
    if let Err(e) = crate::model::group::validate_group_name(&found.name) {
        report.errors.push(format!("{}: {e}", found.dn));
        return Ok(None);
    }
    let group = Group {
        source: GroupSource::Directory,
        directory_id: Some(found.external_id.clone()),
        dn: Some(found.dn.clone()),
        ..Group::local(&found.name, now)
    };
    match store.create_group(&group).await {
        Ok(()) => {
            report.groups_added += 1;
            Ok(Some(group))
        }
        Err(crate::model::error::StoreError::Conflict(_)) => {
            report.errors.push(format!(
                "{}: a local group is named {}: the directory's group is not synced until one of them is renamed",
                found.dn, found.name
            ));
            Ok(None)
        }
        Err(e) => Err(e.into()),
    }
}

async fn add_each(
    store: &dyn DirectorySyncPorts,
    group_id: &str,
    user_ids: &[String],
) -> Result<(), crate::model::error::StoreError> {
    for user_id in user_ids {
        store.add_group_member(group_id, user_id).await?;
    }
    Ok(())
}
