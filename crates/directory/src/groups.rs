//! The directory's groups, for Countersign's groups: every group entry
//! with its unique id, name and the groups it is itself a direct member of
//! (memberOf: AD writes it, slapd's memberof overlay keeps it). With the
//! users' own memberOf this is the whole membership graph in one search;
//! nested groups are followed over it (docs/decisions/0011).

use crate::entry::MEMBER_OF;
use crate::{DirEntry, DirError, Directory, DirectoryKind};

impl Directory {
    /// What a group entry is: `group` on AD, `groupOfNames` or
    /// `groupOfUniqueNames` on LDAP.
    pub fn group_filter(&self) -> &'static str {
        match self.settings().kind {
            DirectoryKind::Ad => "(objectClass=group)",
            DirectoryKind::Ldap => "(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames))",
        }
    }

    /// The attributes a group search reads: the id, the name (cn), the
    /// groups it is in, and its change mark.
    fn group_attributes(&self) -> Vec<String> {
        vec![
            self.settings().attributes.id.clone(),
            "cn".into(),
            MEMBER_OF.into(),
            self.change_attribute().into(),
        ]
    }

    /// Every group under the base, each handed to `keep` as it arrives.
    /// On AD groups may sit anywhere in the domain: the search starts at
    /// the domain of `base_dn`.
    pub async fn groups<T>(&self, mut keep: impl FnMut(DirEntry) -> T) -> Result<Vec<T>, DirError> {
        let base = match self.settings().kind {
            DirectoryKind::Ad => crate::changes::domain_of(&self.settings().base_dn)
                .unwrap_or_else(|| self.settings().base_dn.clone()),
            DirectoryKind::Ldap => self.settings().base_dn.clone(),
        };
        let mut ldap = self.service_connection().await?;
        let found = self
            .search(
                &mut ldap,
                &base,
                self.group_filter(),
                self.group_attributes(),
                &mut |_| {},
                &mut keep,
            )
            .await;
        let _ = ldap.unbind().await;
        found
    }
}
