//! `[directory]` as the client needs it.

use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DirectoryKind {
    /// Active Directory: objectGUID, sAMAccountName, userAccountControl, nested groups.
    Ad,
    /// OpenLDAP and the like: entryUUID, uid, memberOf.
    Ldap,
}

/// Which attribute holds what (the kind gives defaults; each can be overridden).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attributes {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub email: String,
    pub phone: String,
    pub mobile: String,
}

impl Attributes {
    pub fn defaults(kind: DirectoryKind) -> Attributes {
        let (id, username, display_name, phone) = match kind {
            DirectoryKind::Ad => (
                "objectGUID",
                "sAMAccountName",
                "displayName",
                "telephoneNumber",
            ),
            DirectoryKind::Ldap => ("entryUUID", "uid", "cn", "telephoneNumber"),
        };
        Attributes {
            id: id.into(),
            username: username.into(),
            display_name: display_name.into(),
            email: "mail".into(),
            phone: phone.into(),
            mobile: "mobile".into(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct DirectorySettings {
    /// Tried in order: the first that answers serves the whole run.
    pub urls: Vec<String>,
    pub bind_dn: String,
    pub bind_password: String,
    /// PEM certificates to trust (AD's LDAPS certificate usually comes from a private CA).
    pub ca_file: Option<PathBuf>,
    /// `ldap://` without StartTLS is refused unless this is set.
    pub allow_plain: bool,
    pub base_dn: String,
    pub user_filter: String,
    /// Only members of this group (nested groups followed on AD).
    pub group_dn: Option<String>,
    pub kind: DirectoryKind,
    pub attributes: Attributes,
    pub timeout: Duration,
    pub page_size: i32,
}
