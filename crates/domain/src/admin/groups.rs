//! Groups of users, as administrators keep them (console, CLI, API):
//! local groups made, removed and given members here; groups the
//! directory sync keeps are read-only (their members are the directory's:
//! a change here would be undone by the next run).

use std::sync::Arc;

use crate::model::error::DomainError;
use crate::model::group::{validate_group_name, Group, GroupMember, GroupSource, GroupSummary};
use crate::model::user::is_principal;
use crate::ports::clock::Clock;
use crate::ports::GroupsPorts;

#[derive(Clone)]
pub struct Groups {
    store: Arc<dyn GroupsPorts>,
    clock: Arc<dyn Clock>,
}

/// A group and its members.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupDetail {
    pub group: Group,
    pub members: Vec<GroupMember>,
}

impl Groups {
    pub fn new(store: Arc<dyn GroupsPorts>, clock: Arc<dyn Clock>) -> Self {
        Self { store, clock }
    }

    /// A new local group; a conflict when the name (without case) is taken.
    pub async fn create(&self, name: &str) -> Result<Group, DomainError> {
        let name = name.trim();
        validate_group_name(name)?;
        let group = Group::local(name, self.clock.now());
        match self.store.create_group(&group).await {
            Ok(()) => Ok(group),
            Err(crate::model::error::StoreError::Conflict(_)) => Err(DomainError::Conflict(
                format!("a group named '{name}' already exists"),
            )),
            Err(e) => Err(e.into()),
        }
    }

    /// Every group with its member count, by name.
    pub async fn list(&self) -> Result<Vec<GroupSummary>, DomainError> {
        Ok(self.store.list_groups().await?)
    }

    pub async fn group(&self, name: &str) -> Result<Group, DomainError> {
        self.store
            .group_by_name(name)
            .await?
            .ok_or_else(|| DomainError::not_found("group", name))
    }

    pub async fn show(&self, name: &str) -> Result<GroupDetail, DomainError> {
        let group = self.group(name).await?;
        let members = self.store.group_members(&group.id).await?;
        Ok(GroupDetail { group, members })
    }

    /// Removes a local group (its rules then name a group that is not there).
    pub async fn delete(&self, name: &str) -> Result<Group, DomainError> {
        let group = self.local(name).await?;
        self.store.delete_group(&group.name).await?;
        Ok(group)
    }

    /// Adds `username` to a local group: a conflict when already a member.
    pub async fn add_member(&self, name: &str, username: &str) -> Result<Group, DomainError> {
        let group = self.local(name).await?;
        let user = self.user(username).await?;
        match self.store.add_group_member(&group.id, &user.id).await? {
            true => Ok(group),
            false => Err(DomainError::Conflict(format!(
                "{} is already a member of {}",
                user.username, group.name
            ))),
        }
    }

    /// Removes `username` from a local group: not found when not a member.
    pub async fn remove_member(&self, name: &str, username: &str) -> Result<Group, DomainError> {
        let group = self.local(name).await?;
        let user = self.user(username).await?;
        match self.store.remove_group_member(&group.id, &user.id).await? {
            true => Ok(group),
            false => Err(DomainError::not_found(
                "member",
                format!("{username} of {}", group.name),
            )),
        }
    }

    /// The names of the groups a user is in.
    pub async fn of_user(&self, user_id: &str) -> Result<Vec<String>, DomainError> {
        Ok(self.store.groups_of_user(user_id).await?)
    }

    /// The group, when it is local: a directory group is refused in words.
    async fn local(&self, name: &str) -> Result<Group, DomainError> {
        let group = self.group(name).await?;
        match group.source {
            GroupSource::Local => Ok(group),
            GroupSource::Directory => Err(DomainError::Conflict(format!(
                "the group '{}' is kept by the directory sync ({}): change its members in the directory",
                group.name,
                group.dn.as_deref().unwrap_or("the directory")
            ))),
        }
    }

    async fn user(&self, username: &str) -> Result<crate::model::user::User, DomainError> {
        let found = match is_principal(username) {
            true => None,
            false => self.store.user_by_name(username).await?,
        };
        found.ok_or_else(|| DomainError::not_found("user", username))
    }
}
