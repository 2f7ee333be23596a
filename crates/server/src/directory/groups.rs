//! The directory's groups as a run reads them: one search for every group
//! entry (its id, name and the groups it is in), and a fingerprint of what
//! it found (each group's DN and change mark) that tells the next run
//! whether any membership may have changed (docs/decisions/0011).

use countersign_directory::{DirEntry, Directory, DirectoryKind, DirectorySettings, MEMBER_OF};
use countersign_domain::model::directory::DirGroup;
use sha2::{Digest, Sha256};

/// What a run read of the groups.
pub struct ReadGroups {
    pub groups: Vec<DirGroup>,
    /// Entries that could not be a group, in words.
    pub skipped: Vec<String>,
    /// Changes whenever a group is added, removed, renamed or changed.
    pub fingerprint: String,
}

/// Reads every group and fingerprints the lot.
pub async fn read(directory: &Directory) -> anyhow::Result<ReadGroups> {
    let settings = directory.settings();
    let attribute = directory.change_attribute();
    let read = directory
        .groups(|entry| {
            let mark = entry.text(attribute).unwrap_or_default();
            (
                format!("{}|{mark}", entry.dn.to_lowercase()),
                to_group(&entry, settings),
            )
        })
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut lines: Vec<&str> = read.iter().map(|(line, _)| line.as_str()).collect();
    lines.sort_unstable();
    let mut hash = Sha256::new();
    for line in lines {
        hash.update(line.as_bytes());
        hash.update(b"\n");
    }
    let fingerprint = hash.finalize().iter().map(|b| format!("{b:02x}")).collect();
    let (mut groups, mut skipped) = (Vec::new(), Vec::new());
    for (_, group) in read {
        match group {
            Ok(group) => groups.push(group),
            Err(why) => skipped.push(why),
        }
    }
    Ok(ReadGroups {
        groups,
        skipped,
        fingerprint,
    })
}

/// A group entry as the domain's group, or why it is skipped.
pub fn to_group(entry: &DirEntry, settings: &DirectorySettings) -> Result<DirGroup, String> {
    let id = &settings.attributes.id;
    let external_id = match (settings.kind, entry.bytes(id)) {
        (DirectoryKind::Ad, Some(b)) if id.eq_ignore_ascii_case("objectGUID") => {
            super::guid_text(b)
        }
        _ => entry.text(id),
    }
    .ok_or_else(|| format!("{}: no {id} attribute (the group's unique id)", entry.dn))?;
    let name = entry
        .text("cn")
        .ok_or_else(|| format!("{}: no cn attribute (the group's name)", entry.dn))?;
    Ok(DirGroup {
        external_id,
        dn: entry.dn.clone(),
        name,
        member_of: entry.texts(MEMBER_OF),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use countersign_directory::Attributes;

    #[test]
    fn group_entries_become_groups() {
        let settings = DirectorySettings {
            urls: vec!["ldap://x".into()],
            bind_dn: String::new(),
            bind_password: String::new(),
            ca_file: None,
            allow_plain: true,
            base_dn: "dc=x".into(),
            user_filter: "(uid=*)".into(),
            group_dn: None,
            kind: DirectoryKind::Ldap,
            attributes: Attributes::defaults(DirectoryKind::Ldap),
            timeout: std::time::Duration::from_secs(1),
            page_size: 10,
        };
        let entry = DirEntry::new(
            "cn=admins,ou=groups,dc=x",
            &[
                ("entryUUID", &[b"u-1"]),
                ("cn", &[b"admins"]),
                ("memberOf", &[b"cn=staff,ou=groups,dc=x", b"cn=all,dc=x"]),
            ],
        );
        let group = to_group(&entry, &settings).expect("a group");
        assert_eq!(
            (group.external_id.as_str(), group.name.as_str()),
            ("u-1", "admins")
        );
        assert_eq!(group.member_of.len(), 2);
        let nameless = DirEntry::new("cn=x,dc=x", &[("entryUUID", &[b"u-2"])]);
        assert!(to_group(&nameless, &settings).unwrap_err().contains("cn"));
    }
}
