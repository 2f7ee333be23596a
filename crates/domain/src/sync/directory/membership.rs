//! Who is in which directory group, nested groups followed: the users'
//! direct groups (their memberOf) and each group's own memberOf make a
//! graph; a user is in every group reachable from their direct ones.
//! Cycles (AD allows them) end where a group was seen already.

use std::collections::{BTreeSet, HashMap, HashSet};

use crate::model::directory::{DirGroup, DirUser};

/// The directory's groups, by DN, and what each is in (every level up).
pub struct GroupGraph {
    /// Lower-cased DN -> index into `groups`.
    by_dn: HashMap<String, usize>,
    groups: Vec<DirGroup>,
    /// Each group's own index and every group above it, as indexes.
    above: Vec<Vec<usize>>,
}

impl GroupGraph {
    pub fn new(groups: Vec<DirGroup>) -> GroupGraph {
        let by_dn: HashMap<String, usize> = groups
            .iter()
            .enumerate()
            .map(|(i, g)| (dn_key(&g.dn), i))
            .collect();
        let parents: Vec<Vec<usize>> = groups
            .iter()
            .map(|g| {
                g.member_of
                    .iter()
                    .filter_map(|dn| by_dn.get(&dn_key(dn)).copied())
                    .collect()
            })
            .collect();
        let above = (0..groups.len()).map(|i| reach(i, &parents)).collect();
        GroupGraph {
            by_dn,
            groups,
            above,
        }
    }

    pub fn groups(&self) -> &[DirGroup] {
        &self.groups
    }

    /// The external ids of every group `user` is in, directly or nested.
    pub fn groups_of(&self, user: &DirUser) -> BTreeSet<String> {
        let mut found = BTreeSet::new();
        for dn in &user.groups {
            if let Some(&i) = self.by_dn.get(&dn_key(dn)) {
                for &g in &self.above[i] {
                    found.insert(self.groups[g].external_id.clone());
                }
            }
        }
        found
    }
}

/// `start` and every group reachable from it.
fn reach(start: usize, parents: &[Vec<usize>]) -> Vec<usize> {
    let mut seen = HashSet::from([start]);
    let mut next = vec![start];
    while let Some(i) = next.pop() {
        for &p in &parents[i] {
            if seen.insert(p) {
                next.push(p);
            }
        }
    }
    let mut all: Vec<usize> = seen.into_iter().collect();
    all.sort_unstable();
    all
}

/// DNs compare without case and without spaces after commas.
fn dn_key(dn: &str) -> String {
    dn.split(',')
        .map(|part| part.trim().to_lowercase())
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(id: &str, dn: &str, member_of: &[&str]) -> DirGroup {
        DirGroup {
            external_id: id.into(),
            dn: dn.into(),
            name: id.into(),
            member_of: member_of.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn user(groups: &[&str]) -> DirUser {
        DirUser {
            external_id: "u".into(),
            dn: "cn=u".into(),
            username: "u".into(),
            display_name: None,
            email: None,
            phone: None,
            enabled: true,
            groups: groups.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn nested_groups_are_followed_and_cycles_end() {
        let graph = GroupGraph::new(vec![
            group("a", "CN=A,DC=x", &["CN=B,DC=x"]),
            group("b", "CN=B,DC=x", &["cn=c, dc=x"]),
            group("c", "CN=C,DC=x", &["CN=A,DC=x"]),
            group("d", "CN=D,DC=x", &[]),
            group("e", "CN=E,DC=x", &["CN=Unknown,DC=x"]),
        ]);
        let all: Vec<String> = graph.groups_of(&user(&["cn=a,dc=x"])).into_iter().collect();
        assert_eq!(all, ["a", "b", "c"]);
        let one: Vec<String> = graph
            .groups_of(&user(&["CN=D,DC=x", "CN=Z,DC=x"]))
            .into_iter()
            .collect();
        assert_eq!(one, ["d"]);
        assert_eq!(graph.groups_of(&user(&["CN=E,DC=x"])).len(), 1);
        assert!(graph.groups_of(&user(&[])).is_empty());
    }
}
