//! The LDAP bind proxy: its certificate files and key, and whether any
//! application may connect.

use async_trait::async_trait;
use countersign_domain::ports::diagnostics::Finding;

use super::{Check, Doctor};
use crate::config::Config;
use crate::tls;

pub fn register(doctor: &mut Doctor) {
    doctor.register(Box::new(LdapCheck));
}

struct LdapCheck;

#[async_trait]
impl Check for LdapCheck {
    async fn run(&self, config: &Config) -> Vec<Finding> {
        let Some(ldap) = &config.ldap else {
            return Vec::new();
        };
        let mut findings = vec![match ldap.clients.len() {
            0 => Finding::warn(
                "ldap.clients",
                "the LDAP proxy has no clients: every connection is closed",
                "add an [[ldap.clients]] table with each application's address",
            ),
            n => Finding::pass(
                "ldap.clients",
                format!("{n} application(s) may bind through the LDAP proxy"),
            ),
        }];
        match tls::load_certified_key(&ldap.cert, &ldap.key) {
            Ok(certified) => findings.push(Finding::pass(
                "ldap.certificate",
                format!(
                    "the proxy's certificate ({} in the chain) and its key match",
                    certified.cert.len()
                ),
            )),
            Err(e) => findings.push(Finding::fail(
                "ldap.certificate",
                e.to_string(),
                "point ldap.cert and ldap.key (or tls.cert and tls.key) at the proxy's PEM chain and its key",
            )),
        }
        findings
    }
}
