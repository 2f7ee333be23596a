use crate::model::user::User;
use serde::Deserialize;
use serde::Serialize;

/// A user as the directory has them, attributes already picked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DirUser {
    /// objectGUID (in its usual text form) or entryUUID: never changes, even on rename.
    pub external_id: String,
    pub dn: String,
    pub username: String,
    pub display_name: Option<String>,
    pub email: Option<String>,
    /// As the directory has it (mobile preferred); normalised by the sync.
    pub phone: Option<String>,
    /// false: disabled in the directory (AD userAccountControl bit 2).
    pub enabled: bool,
    /// The DNs of the groups the user is a direct member of (memberOf);
    /// nested groups are followed over [`DirGroup::member_of`].
    #[serde(skip)]
    pub groups: Vec<String>,
}

/// A group as the directory has it: what a Countersign group of source
/// `directory` is made from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirGroup {
    /// objectGUID or entryUUID: a renamed group stays the same group.
    pub external_id: String,
    pub dn: String,
    /// Its cn: the group's name in Countersign.
    pub name: String,
    /// The DNs of the groups it is a direct member of.
    pub member_of: Vec<String>,
}

/// What a directory-synced user is linked by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryLink {
    pub user_id: String,
    pub external_id: String,
    pub dn: String,
    /// The sync disabled the user (left the group, disabled in the directory):
    /// only then does the sync enable them again.
    pub disabled_by_sync: bool,
}

/// One user's change as a run writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DirectoryWrite {
    /// A new user and their link.
    Add { user: User, link: DirectoryLink },
    /// The user's attributes, enabled flag and link as the run has them
    /// (`UserStore::update_user`'s fields), renamed to `user.username`
    /// first when `rename`.
    Update {
        user: User,
        rename: bool,
        link: DirectoryLink,
    },
    /// The user deleted, as `UserStore::delete_user` does.
    Remove { user_id: String },
}

/// What a run reads: every user (finds leavers), or only those changed
/// since the last run (adds and changes; leavers wait for a full run).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncScope {
    Full,
    Changes,
}

/// How a run goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncMode {
    /// Changes applied unless over the threshold.
    Normal,
    /// Changes applied even over the threshold (`--approve`).
    Approved,
    /// Nothing changed: the plan only.
    DryRun,
}

/// One change a run makes (or would make).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    pub username: String,
    /// `add`, `update`, `rename`, `disable`, `enable`, `remove`.
    pub action: &'static str,
    /// What changes, in words (`phone`, `email`, `from alice`).
    pub detail: String,
}

/// A run's summary, kept in the store (`directory.last_run`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncReport {
    pub at: i64,
    /// `applied`, `dry_run` or `awaiting_approval`.
    pub status: String,
    pub seen: usize,
    pub added: usize,
    pub updated: usize,
    pub disabled: usize,
    pub removed: usize,
    pub errors: Vec<String>,
    pub duration_ms: u64,
    /// `full` or `changes` (only entries changed since the last run).
    #[serde(default)]
    pub scope: String,
    /// Directory groups with synced members after the run.
    #[serde(default)]
    pub groups: usize,
    #[serde(default)]
    pub groups_added: usize,
    /// Directory groups removed: the directory no longer has them.
    #[serde(default)]
    pub groups_removed: usize,
    #[serde(skip)]
    pub changes: Vec<Change>,
}
