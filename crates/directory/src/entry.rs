//! A search result entry read without trusting it: ldap3's own reader
//! panics on a malformed entry, this one answers an error.

use std::collections::HashMap;

use ldap3::asn1::{StructureTag, PL};

use crate::DirError;

/// The attribute holding the groups an entry is a direct member of.
pub const MEMBER_OF: &str = "memberOf";

/// One entry: its DN and every attribute's values, by lower-cased name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirEntry {
    pub dn: String,
    attrs: HashMap<String, Vec<Vec<u8>>>,
}

impl DirEntry {
    pub fn new(dn: &str, attrs: &[(&str, &[&[u8]])]) -> DirEntry {
        DirEntry {
            dn: dn.to_string(),
            attrs: attrs
                .iter()
                .map(|(k, v)| {
                    (
                        k.to_ascii_lowercase(),
                        v.iter().map(|b| b.to_vec()).collect(),
                    )
                })
                .collect(),
        }
    }

    /// The first value of `name` as text, if it is UTF-8.
    pub fn text(&self, name: &str) -> Option<String> {
        self.bytes(name)
            .and_then(|b| String::from_utf8(b.to_vec()).ok())
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    }

    pub fn bytes(&self, name: &str) -> Option<&[u8]> {
        self.attrs
            .get(&name.to_ascii_lowercase())
            .and_then(|v| v.first())
            .map(Vec::as_slice)
    }

    pub fn texts(&self, name: &str) -> Vec<String> {
        self.attrs
            .get(&name.to_ascii_lowercase())
            .map(|v| {
                v.iter()
                    .filter_map(|b| String::from_utf8(b.clone()).ok())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Reads an entry from its BER encoding (what the fuzz target feeds).
    pub fn from_ber(bytes: &[u8]) -> Result<DirEntry, DirError> {
        let (_, tag) =
            ldap3::asn1::parse_tag(bytes).map_err(|e| DirError::Malformed(format!("BER: {e}")))?;
        DirEntry::from_tag(tag)
    }

    /// Reads a SearchResultEntry (`[APPLICATION 4] { dn, attributes }`).
    pub fn from_tag(tag: StructureTag) -> Result<DirEntry, DirError> {
        let bad = |what: &str| DirError::Malformed(format!("search entry: {what}"));
        let PL::C(mut parts) = tag.payload else {
            return Err(bad("not constructed"));
        };
        if parts.len() != 2 {
            return Err(bad("expected a DN and attributes"));
        }
        let attributes = parts.pop().ok_or_else(|| bad("no attributes"))?;
        let dn = primitive(parts.pop().ok_or_else(|| bad("no DN"))?)
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or_else(|| bad("the DN is not text"))?;
        let PL::C(list) = attributes.payload else {
            return Err(bad("attributes are not a list"));
        };
        let mut attrs = HashMap::new();
        for attribute in list {
            let PL::C(mut pair) = attribute.payload else {
                return Err(bad("an attribute is not a pair"));
            };
            if pair.len() != 2 {
                return Err(bad("an attribute is not a type and values"));
            }
            let values = pair.pop().ok_or_else(|| bad("no values"))?;
            let name = primitive(pair.pop().ok_or_else(|| bad("no type"))?)
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| bad("an attribute type is not text"))?;
            let PL::C(values) = values.payload else {
                return Err(bad("values are not a set"));
            };
            let values: Option<Vec<Vec<u8>>> = values.into_iter().map(primitive).collect();
            attrs.insert(
                name.to_ascii_lowercase(),
                values.ok_or_else(|| bad("a value is not a string"))?,
            );
        }
        Ok(DirEntry { dn, attrs })
    }
}

fn primitive(tag: StructureTag) -> Option<Vec<u8>> {
    match tag.payload {
        PL::P(bytes) => Some(bytes),
        PL::C(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ldap3::asn1::TagClass;

    fn p(bytes: &[u8]) -> StructureTag {
        StructureTag {
            class: TagClass::Universal,
            id: 4,
            payload: PL::P(bytes.to_vec()),
        }
    }
    fn c(items: Vec<StructureTag>) -> StructureTag {
        StructureTag {
            class: TagClass::Universal,
            id: 16,
            payload: PL::C(items),
        }
    }

    #[test]
    fn ber_entries_are_read_and_junk_refused() {
        let bytes = include_bytes!("../../../fuzz/seeds/directory_entry/entry.ber");
        let entry = DirEntry::from_ber(bytes).expect("the seed entry");
        assert_eq!(entry.dn, "uid=a,ou=people,dc=example,dc=org");
        assert_eq!(
            entry.text("entryuuid").as_deref(),
            Some("8f4c2b1e-2a1f-4f3e-9d0c-000000000001")
        );
        assert!(
            DirEntry::from_ber(&bytes[..bytes.len() - 3]).is_err(),
            "truncated"
        );
        assert!(DirEntry::from_ber(b"").is_err());
        assert!(
            DirEntry::from_ber(&[0x64, 0x84, 0xff, 0xff, 0xff, 0xff]).is_err(),
            "a length beyond the input"
        );
    }

    #[test]
    fn entries_are_read_and_malformed_ones_refused() {
        let entry = c(vec![
            p(b"uid=a,dc=x"),
            c(vec![c(vec![p(b"mail"), c(vec![p(b"a@x.org")])])]),
        ]);
        let read = DirEntry::from_tag(entry).expect("entry");
        assert_eq!(read.dn, "uid=a,dc=x");
        assert_eq!(read.text("MAIL").as_deref(), Some("a@x.org"));
        assert!(DirEntry::from_tag(p(b"x")).is_err());
        assert!(DirEntry::from_tag(c(vec![p(b"dn")])).is_err());
        assert!(DirEntry::from_tag(c(vec![p(b"dn"), c(vec![p(b"x")])])).is_err());
        assert!(DirEntry::from_tag(c(vec![p(&[0xff]), c(vec![])])).is_err());
    }
}
