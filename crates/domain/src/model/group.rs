//! Groups of users (issue 28): local ones an administrator keeps and ones
//! a directory sync keeps. Sign-in rules name groups; a user's groups are
//! read by name.

use serde::Serialize;

use crate::model::error::DomainError;

/// Where a group comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum GroupSource {
    /// Made in the console, the CLI or the API.
    Local,
    /// Kept by the directory sync (its members are the directory's).
    Directory,
}

impl GroupSource {
    pub fn as_str(self) -> &'static str {
        match self {
            GroupSource::Local => "local",
            GroupSource::Directory => "directory",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "local" => Some(GroupSource::Local),
            "directory" => Some(GroupSource::Directory),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Group {
    pub id: String,
    pub name: String,
    pub source: GroupSource,
    /// The directory's own id for the group (objectGUID, entryUUID).
    pub directory_id: Option<String>,
    pub dn: Option<String>,
    pub created_at: i64,
}

impl Group {
    /// A new local group named `name` (checked with [`validate_group_name`]).
    pub fn local(name: &str, now: i64) -> Self {
        Group {
            id: crate::model::ids::new_id("grp"),
            name: name.to_string(),
            source: GroupSource::Local,
            directory_id: None,
            dn: None,
            created_at: now,
        }
    }
}

/// A group with how many members it has (the lists).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupSummary {
    #[serde(flatten)]
    pub group: Group,
    pub members: i64,
}

/// A group member, by user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupMember {
    pub user_id: String,
    pub username: String,
}

/// Group names compare without case (`Admins` is `admins`).
pub fn group_key(name: &str) -> String {
    name.to_lowercase()
}

/// A group name: 1 to 256 characters, no control characters, not only spaces.
pub fn validate_group_name(name: &str) -> Result<(), DomainError> {
    let problem = if name.trim().is_empty() {
        Some("must not be empty")
    } else if name.chars().count() > 256 {
        Some("must be at most 256 characters")
    } else if name.chars().any(char::is_control) {
        Some("must not contain control characters")
    } else if name.trim() != name {
        Some("must not start or end with spaces")
    } else {
        None
    };
    match problem {
        Some(why) => Err(DomainError::invalid("name", format!("a group name {why}"))),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked() {
        assert!(validate_group_name("Domain Admins").is_ok());
        assert!(validate_group_name("").is_err());
        assert!(validate_group_name(" a").is_err());
        assert!(validate_group_name("a\nb").is_err());
        assert!(validate_group_name(&"x".repeat(257)).is_err());
        assert_eq!(group_key("Admins"), "admins");
        assert_eq!(
            GroupSource::parse("directory"),
            Some(GroupSource::Directory)
        );
    }
}
