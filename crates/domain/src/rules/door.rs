//! Doors as rules name them. A sign-in's door is read from who asked
//! (`Source.client`): `radius:NAME`, `ldap:NAME`, `oidc:NAME`,
//! `forward:HOST`, `portal`, `console`, `sso`, `cli`, and any other name
//! is an API key's, `api:NAME`. A rule's door is one of those, or a kind
//! with `*` for every client of it (`radius:*`, `api:*`).

use crate::model::error::DomainError;

/// The kinds of door, as rules spell them.
pub const KINDS: [&str; 5] = ["radius", "ldap", "oidc", "forward", "api"];
/// The doors without a client name.
pub const SINGLE: [&str; 4] = ["portal", "console", "sso", "cli"];

/// The door a sign-in came through, in rule syntax (`api:vpn-gateway`).
pub fn door_of(client: Option<&str>) -> String {
    let Some(client) = client else {
        return "api:".to_string();
    };
    if SINGLE.contains(&client) {
        return client.to_string();
    }
    if let Some((kind, _)) = client.split_once(':') {
        if KINDS.contains(&kind) && kind != "api" {
            return client.to_string();
        }
    }
    format!("api:{client}")
}

/// Doors where the address the request came from is the person's own
/// browser (no NAS or application in between).
pub fn is_browser(door: &str) -> bool {
    matches!(door, "portal" | "console" | "sso")
        || door.starts_with("oidc:")
        || door.starts_with("forward:")
}

/// A rule's door condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DoorPattern {
    /// One door exactly (compared without case).
    Exact(String),
    /// Every client of a kind: `radius:*` is the `radius:` prefix.
    Kind(String),
}

impl DoorPattern {
    pub fn parse(text: &str) -> Result<DoorPattern, DomainError> {
        let bad = |why: &str| {
            DomainError::invalid(
                "doors",
                format!(
                    "'{text}' {why}: a door is portal, console, sso, cli, or KIND:NAME with KIND one of \
                     radius, ldap, oidc, forward, api (KIND:* for all of a kind), e.g. radius:vpn"
                ),
            )
        };
        let lower = text.trim().to_lowercase();
        if SINGLE.contains(&lower.as_str()) {
            return Ok(DoorPattern::Exact(lower));
        }
        let Some((kind, name)) = lower.split_once(':') else {
            return Err(bad("is not a door"));
        };
        if !KINDS.contains(&kind) {
            return Err(bad("names an unknown kind of door"));
        }
        if name.is_empty() || name.chars().any(char::is_control) {
            return Err(bad("has no client name"));
        }
        Ok(match name {
            "*" => DoorPattern::Kind(format!("{kind}:")),
            _ => DoorPattern::Exact(lower),
        })
    }

    /// `door` is lower case already (see [`crate::rules::Subject`]).
    pub fn matches(&self, door: &str) -> bool {
        match self {
            DoorPattern::Exact(name) => name == door,
            DoorPattern::Kind(prefix) => door.starts_with(prefix.as_str()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doors_are_read_from_the_client() {
        assert_eq!(door_of(Some("radius:vpn")), "radius:vpn");
        assert_eq!(door_of(Some("portal")), "portal");
        assert_eq!(door_of(Some("vpn-gateway")), "api:vpn-gateway");
        assert_eq!(door_of(Some("weird:x")), "api:weird:x");
        assert!(is_browser("forward:wiki.example.com") && !is_browser("radius:vpn"));
    }

    #[test]
    fn patterns_match() {
        let vpn = DoorPattern::parse("RADIUS:vpn").expect("parse");
        assert!(vpn.matches("radius:vpn") && !vpn.matches("radius:wifi"));
        let all = DoorPattern::parse("radius:*").expect("parse");
        assert!(all.matches("radius:wifi") && !all.matches("ldap:wifi"));
        assert!(DoorPattern::parse("portal")
            .expect("parse")
            .matches("portal"));
        for bad in ["", "vpn", "smtp:x", "radius:", "radius:\u{7}"] {
            assert!(DoorPattern::parse(bad).is_err(), "{bad}");
        }
    }
}
