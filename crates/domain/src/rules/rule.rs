//! One sign-in rule as the API, the CLI and the store spell it, and its
//! checked, ready-to-match form.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::model::error::DomainError;
use crate::model::group::group_key;
use crate::model::method::Method;
use crate::model::net::IpNet;
use crate::rules::door::DoorPattern;
use crate::rules::hours::Window;

/// What a matching rule decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The sign-in goes on, with `methods` (or `strength`) narrowing the methods.
    Allow,
    /// Refused: `denied_by_rule`.
    Deny,
    /// Accepted without a second factor: `trusted_network`.
    SkipSecondFactor,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Allow => "allow",
            Outcome::Deny => "deny",
            Outcome::SkipSecondFactor => "skip_second_factor",
        }
    }
}

/// A class of methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Strength {
    /// Passkeys only (`webauthn`).
    PhishingResistant,
}

/// Which address a rule's `networks` are matched against.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NetworkOf {
    /// The person's: the address the NAS reports (RADIUS `Calling-Station-Id`,
    /// else `Framed-IP-Address`), the `context.client_address` an API caller
    /// reports, the browser's at browser doors.
    #[default]
    User,
    /// The door's peer: the NAS, the API caller, the LDAP client.
    Door,
}

/// A rule as stored and as the API takes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub name: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub doors: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub networks: Vec<String>,
    #[serde(default, skip_serializing_if = "NetworkOf::is_user")]
    pub network_of: NetworkOf,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    pub outcome: Outcome,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub methods: Vec<Method>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strength: Option<Strength>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remember_device_days: Option<u32>,
}

impl NetworkOf {
    fn is_user(&self) -> bool {
        *self == NetworkOf::User
    }
}

/// The longest a browser may be remembered.
pub const MAX_REMEMBER_DAYS: u32 = 365;

/// A rule checked and ready to match.
#[derive(Debug, Clone)]
pub struct Compiled {
    pub rule: Rule,
    pub(crate) groups: Vec<String>,
    pub(crate) doors: Vec<DoorPattern>,
    pub(crate) networks: Vec<IpNet>,
    pub(crate) window: Option<Window>,
    /// The methods a matching `allow` leaves (strength applied); `None`: all.
    pub(crate) methods: Option<Vec<Method>>,
}

impl Rule {
    /// Checks every field, in words that say what to fix.
    pub fn compile(&self) -> Result<Compiled, DomainError> {
        validate_rule_name(&self.name)?;
        let groups = self
            .groups
            .iter()
            .map(|g| checked_group(g))
            .collect::<Result<_, _>>()?;
        let doors = self
            .doors
            .iter()
            .map(|d| DoorPattern::parse(d))
            .collect::<Result<_, _>>()?;
        let networks = self
            .networks
            .iter()
            .map(|n| {
                n.parse::<IpNet>()
                    .map_err(|e| DomainError::invalid("networks", e))
            })
            .collect::<Result<_, _>>()?;
        let window = match (&self.hours, &self.time_zone) {
            (Some(hours), zone) => Some(Window::parse(hours, zone.as_deref())?),
            (None, Some(_)) => {
                return Err(DomainError::invalid("time_zone", "a time_zone needs hours"))
            }
            (None, None) => None,
        };
        Ok(Compiled {
            rule: self.clone(),
            groups,
            doors,
            networks,
            window,
            methods: self.allowed_methods()?,
        })
    }

    fn allowed_methods(&self) -> Result<Option<Vec<Method>>, DomainError> {
        let narrows = !self.methods.is_empty() || self.strength.is_some();
        if narrows && self.outcome != Outcome::Allow {
            return Err(DomainError::invalid(
                "methods",
                "methods and strength go with the outcome allow",
            ));
        }
        if let Some(days) = self.remember_device_days {
            if self.outcome == Outcome::Deny || days == 0 || days > MAX_REMEMBER_DAYS {
                return Err(DomainError::invalid(
                    "remember_device_days",
                    format!("give 1 to {MAX_REMEMBER_DAYS} days, with the outcome allow or skip_second_factor"),
                ));
            }
        }
        let mut methods = self.methods.clone();
        methods.dedup();
        Ok(match self.strength {
            Some(Strength::PhishingResistant) => {
                if methods.iter().any(|m| *m != Method::Webauthn) {
                    return Err(DomainError::invalid(
                        "strength",
                        "phishing_resistant allows passkeys (webauthn) only: drop the other methods",
                    ));
                }
                Some(vec![Method::Webauthn])
            }
            None if methods.is_empty() => None,
            None => Some(methods),
        })
    }
}

/// A rule name: 1 to 64 of letters, digits, `-`, `_`, `.` (it is a path segment).
pub fn validate_rule_name(name: &str) -> Result<(), DomainError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    match ok {
        true => Ok(()),
        false => Err(DomainError::invalid(
            "name",
            format!("'{name}' is not a rule name: use 1 to 64 letters, digits, '-', '_' or '.'"),
        )),
    }
}

fn checked_group(name: &str) -> Result<String, DomainError> {
    crate::model::group::validate_group_name(name)
        .map_err(|_| DomainError::invalid("groups", format!("'{name}' is not a group name")))?;
    Ok(group_key(name))
}

impl Compiled {
    pub fn name(&self) -> &str {
        &self.rule.name
    }

    pub(crate) fn needs_groups(&self) -> bool {
        !self.groups.is_empty()
    }

    /// Every condition but the groups.
    pub(crate) fn matches_place(
        &self,
        door: &str,
        user: Option<IpAddr>,
        peer: Option<IpAddr>,
        at: i64,
    ) -> bool {
        if !self.doors.is_empty() && !self.doors.iter().any(|d| d.matches(door)) {
            return false;
        }
        if !self.networks.is_empty() {
            let address = match self.rule.network_of {
                NetworkOf::User => user,
                NetworkOf::Door => peer,
            };
            let Some(address) = address else {
                return false;
            };
            if !self.networks.iter().any(|n| n.contains(address)) {
                return false;
            }
        }
        self.window.as_ref().is_none_or(|w| w.contains(at))
    }

    /// `groups` are the user's, lower case.
    pub(crate) fn matches_groups(&self, groups: &[String]) -> bool {
        self.groups.is_empty() || self.groups.iter().any(|g| groups.contains(g))
    }
}
