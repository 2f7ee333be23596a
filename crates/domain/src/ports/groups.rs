use crate::model::group::{Group, GroupMember, GroupSummary};
use crate::ports::StoreResult;
use async_trait::async_trait;

/// Groups and their members (issue 28).
#[async_trait]
pub trait GroupStore: Send + Sync {
    /// Adds `group`; `Conflict` when its name (without case) or directory id is taken.
    async fn create_group(&self, group: &Group) -> StoreResult<()>;
    /// Removes the group named `name` (without case) and its memberships: false when none.
    async fn delete_group(&self, name: &str) -> StoreResult<bool>;
    /// The group named `name`, compared without case.
    async fn group_by_name(&self, name: &str) -> StoreResult<Option<Group>>;
    /// Every group with its member count, by name.
    async fn list_groups(&self) -> StoreResult<Vec<GroupSummary>>;
    /// Adds a member: false when already one.
    async fn add_group_member(&self, group_id: &str, user_id: &str) -> StoreResult<bool>;
    /// Removes a member: false when not one.
    async fn remove_group_member(&self, group_id: &str, user_id: &str) -> StoreResult<bool>;
    /// The group's members, by username.
    async fn group_members(&self, group_id: &str) -> StoreResult<Vec<GroupMember>>;
    /// The names of the groups `user_id` is a member of, sorted.
    async fn groups_of_user(&self, user_id: &str) -> StoreResult<Vec<String>>;
    /// Makes the group's members exactly `user_ids` (the directory sync's
    /// write), in one transaction: who is not listed leaves, who is joins.
    async fn set_group_members(&self, group_id: &str, user_ids: &[String]) -> StoreResult<()>;
}
