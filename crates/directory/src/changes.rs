//! What tells a sync that something changed: the users' change marks
//! (uSNChanged on AD, entryCSN on LDAP) and the group's, which on AD
//! includes every group nested in it.

use ldap3::{Ldap, Scope};

use crate::client::AD_IN_CHAIN;
use crate::{DirEntry, DirError, Directory, DirectoryKind};

impl Directory {
    /// The filter part for entries changed after `mark` (the newest change
    /// an earlier run saw). uSNChanged is a number: `>= mark + 1`, so the
    /// entry that set the mark is not read again; entryCSN is text, `>=`.
    pub fn changed_since(&self, mark: &str) -> String {
        let attr = self.change_attribute();
        match (self.settings().kind, mark.parse::<u64>()) {
            (DirectoryKind::Ad, Ok(n)) => format!("({attr}>={})", n.saturating_add(1)),
            _ => format!("({attr}>={})", ldap3::ldap_escape(mark)),
        }
    }

    /// The group's change mark: membership changes move the group's mark,
    /// not the members' (memberOf is not a real attribute of theirs). On AD
    /// it is the newest uSNChanged of the group and of every group nested
    /// in it, so a member joining or leaving a nested group counts too.
    pub async fn group_change(&self) -> Result<Option<String>, DirError> {
        let Some(group) = self.settings().group_dn.clone() else {
            return Ok(None);
        };
        let mut ldap = self.service_connection().await?;
        let mark = self.group_mark(&mut ldap, &group).await;
        let _ = ldap.unbind().await;
        mark
    }

    async fn group_mark(&self, ldap: &mut Ldap, group: &str) -> Result<Option<String>, DirError> {
        let attr = self.change_attribute();
        let filter = "(objectClass=*)";
        let (entries, _) = ldap
            .with_timeout(self.settings().timeout)
            .search(group, Scope::Base, filter, vec![attr])
            .await
            .and_then(|found| found.non_error())
            .map_err(|e| search_error(group, filter, e.to_string()))?;
        let own = entries
            .into_iter()
            .next()
            .map(|e| DirEntry::from_tag(e.0))
            .transpose()?
            .and_then(|e| e.text(attr));
        let (DirectoryKind::Ad, Some(own)) = (self.settings().kind, own.clone()) else {
            return Ok(own);
        };
        // Nested groups may live anywhere in the domain, not only under base_dn.
        let filter = format!(
            "(&(objectClass=group)(memberOf:{AD_IN_CHAIN}:={}))",
            ldap3::ldap_escape(group)
        );
        let base = domain_of(group).unwrap_or_else(|| self.settings().base_dn.clone());
        let nested = self
            .search(
                ldap,
                &base,
                &filter,
                vec![attr.to_string()],
                &mut |_| {},
                &mut |e| e,
            )
            .await?;
        let newest = nested
            .iter()
            .filter_map(|e| e.text(attr))
            .chain([own])
            .filter_map(|v| v.parse::<u64>().ok())
            .max();
        Ok(newest.map(|n| n.to_string()))
    }
}

fn search_error(base: &str, filter: &str, reason: String) -> DirError {
    DirError::Search {
        base: base.to_string(),
        filter: filter.to_string(),
        reason,
    }
}

/// The domain a DN is in: its trailing `DC=` components
/// (`CN=x,OU=y,DC=example,DC=org` → `DC=example,DC=org`).
pub(crate) fn domain_of(dn: &str) -> Option<String> {
    let parts: Vec<&str> = dn.split(',').map(str::trim).collect();
    let first = parts
        .iter()
        .position(|p| p.len() > 3 && p[..3].eq_ignore_ascii_case("dc="))?;
    parts[first..]
        .iter()
        .all(|p| p.len() > 3 && p[..3].eq_ignore_ascii_case("dc="))
        .then(|| parts[first..].join(","))
}

#[cfg(test)]
mod tests {
    use super::domain_of;

    #[test]
    fn the_domain_of_a_dn() {
        assert_eq!(
            domain_of("CN=MFA Users,OU=Groups,DC=example,DC=org").as_deref(),
            Some("DC=example,DC=org")
        );
        assert_eq!(domain_of("cn=g,dc=x").as_deref(), Some("dc=x"));
        assert_eq!(domain_of("cn=g,ou=groups"), None);
        assert_eq!(domain_of("dc=x,ou=odd"), None);
    }
}
