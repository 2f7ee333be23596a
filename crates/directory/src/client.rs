//! Talking to the directory: one connection per run (the first server in
//! the list that answers), the service account bound, users read in pages;
//! and a user's password checked by binding as the user on a connection of
//! its own.

use std::sync::Arc;

use ldap3::adapters::{Adapter, EntriesOnly, PagedResults};
use ldap3::{Ldap, LdapConnAsync, LdapConnSettings, LdapError, Scope};

use crate::error::describe;
use crate::{DirEntry, DirError, DirectoryKind, DirectorySettings};

/// The attribute AD uses for accounts (bit 2: disabled) and the in-chain rule for nested groups.
const AD_ACCOUNT_CONTROL: &str = "userAccountControl";
pub(crate) const AD_IN_CHAIN: &str = "1.2.840.113556.1.4.1941";

#[derive(Clone)]
pub struct Directory {
    settings: Arc<DirectorySettings>,
    tls: Arc<rustls::ClientConfig>,
    /// Set once a server was trusted by its certificate pinned in `ca_file`.
    pinned_used: Arc<std::sync::atomic::AtomicBool>,
}

impl Directory {
    pub fn new(settings: DirectorySettings) -> Result<Directory, DirError> {
        if settings.urls.is_empty() {
            return Err(DirError::Url(
                "no server: set directory.url (ldaps://dc1.example.org, ...)".into(),
            ));
        }
        for url in &settings.urls {
            if !(url.starts_with("ldaps://") || url.starts_with("ldap://")) {
                return Err(DirError::Url(format!(
                    "'{url}' is not an ldaps:// or ldap:// URL"
                )));
            }
        }
        let tls = crate::tls::tls_config(&settings)?;
        Ok(Directory {
            settings: Arc::new(settings),
            tls: tls.config,
            pinned_used: tls.pinned_used,
        })
    }

    pub fn settings(&self) -> &DirectorySettings {
        &self.settings
    }

    /// A connection to the first server that answers, TLS set up, not bound.
    async fn connect(&self) -> Result<(Ldap, String), DirError> {
        let mut last = None;
        for url in &self.settings.urls {
            match self.connect_one(url).await {
                Ok(ldap) => return Ok((ldap, url.clone())),
                Err(e @ (DirError::PlainRefused { .. } | DirError::Url(_))) => return Err(e),
                Err(e) => {
                    tracing::warn!(url = %url, error = %e, "directory server not reachable; trying the next");
                    last = Some(e);
                }
            }
        }
        Err(last.unwrap_or_else(|| DirError::Url("no server".into())))
    }

    async fn connect_one(&self, url: &str) -> Result<Ldap, DirError> {
        let plain = url.starts_with("ldap://");
        let starttls = plain && !self.settings.allow_plain;
        let conn_settings = LdapConnSettings::new()
            .set_conn_timeout(self.settings.timeout)
            .set_starttls(starttls)
            .set_config(self.tls.clone());
        let (conn, ldap) = LdapConnAsync::with_settings(conn_settings, url)
            .await
            .map_err(|e| connect_error(&self.settings, url, e))?;
        tokio::spawn(async move {
            if let Err(e) = conn.drive().await {
                tracing::debug!(error = %e, "directory connection ended");
            }
        });
        Ok(ldap)
    }

    /// Connected and bound as the service account.
    async fn service(&self) -> Result<Ldap, DirError> {
        let (mut ldap, _) = self.connect().await?;
        let s = &self.settings;
        let result = ldap
            .with_timeout(s.timeout)
            .simple_bind(&s.bind_dn, &s.bind_password)
            .await
            .map_err(|e| self.timeout_or(e))?;
        if result.rc != 0 {
            return Err(DirError::ServiceBind {
                dn: s.bind_dn.clone(),
                reason: describe(result.rc, &result.text),
            });
        }
        Ok(ldap)
    }

    fn timeout_or(&self, e: LdapError) -> DirError {
        match e {
            LdapError::Timeout { .. } => DirError::Timeout(self.settings.timeout.as_secs()),
            other => DirError::Malformed(other.to_string()),
        }
    }

    /// Connects and binds as the service account: the server that answered.
    pub async fn check_service(&self) -> Result<String, DirError> {
        let (mut ldap, url) = self.connect().await?;
        let s = &self.settings;
        let result = ldap
            .with_timeout(s.timeout)
            .simple_bind(&s.bind_dn, &s.bind_password)
            .await
            .map_err(|e| self.timeout_or(e))?;
        let _ = ldap.unbind().await;
        match result.rc {
            0 => Ok(url),
            rc => Err(DirError::ServiceBind {
                dn: s.bind_dn.clone(),
                reason: describe(rc, &result.text),
            }),
        }
    }

    /// The filter for the users to sync: the configured filter, and
    /// membership of the group (nested on AD) when one is set.
    pub fn user_filter(&self) -> String {
        let s = &self.settings;
        match &s.group_dn {
            Some(group) => {
                let group = ldap3::ldap_escape(group);
                let member = match s.kind {
                    DirectoryKind::Ad => format!("(memberOf:{AD_IN_CHAIN}:={group})"),
                    DirectoryKind::Ldap => format!("(memberOf={group})"),
                };
                format!("(&{}{member})", s.user_filter)
            }
            None => s.user_filter.clone(),
        }
    }

    /// The attributes a sync reads.
    pub(crate) fn attributes(&self) -> Vec<String> {
        let a = &self.settings.attributes;
        let mut list = vec![
            a.id.clone(),
            a.username.clone(),
            a.display_name.clone(),
            a.email.clone(),
            a.phone.clone(),
            a.mobile.clone(),
            "userPrincipalName".into(),
            crate::entry::MEMBER_OF.into(),
        ];
        if self.settings.kind == DirectoryKind::Ad {
            list.push(AD_ACCOUNT_CONTROL.into());
        }
        list.push(self.change_attribute().into());
        list
    }

    /// What says an entry changed: uSNChanged on AD (one DC's counter: keep
    /// the sync on one DC, the first in directory.url), entryCSN on LDAP (microseconds, where modifyTimestamp counts seconds).
    pub fn change_attribute(&self) -> &'static str {
        match self.settings.kind {
            DirectoryKind::Ad => "uSNChanged",
            DirectoryKind::Ldap => "entryCSN",
        }
    }

    /// Every user the sync covers, read in pages (`on_page` hears the running
    /// count); with `since` (a change mark from an earlier run), only those
    /// changed since. Each entry is handed to `keep` as it arrives and only
    /// what that returns is held: at 100,000 users the entries themselves
    /// would be the largest part of a run's memory.
    pub async fn users<T>(
        &self,
        since: Option<&str>,
        mut on_page: impl FnMut(usize),
        mut keep: impl FnMut(DirEntry) -> T,
    ) -> Result<Vec<T>, DirError> {
        let filter = match since {
            Some(mark) => format!("(&{}{})", self.user_filter(), self.changed_since(mark)),
            None => self.user_filter(),
        };
        let mut ldap = self.service().await?;
        let base = self.settings.base_dn.clone();
        let entries = self
            .search(
                &mut ldap,
                &base,
                &filter,
                self.attributes(),
                &mut on_page,
                &mut keep,
            )
            .await;
        let _ = ldap.unbind().await;
        entries
    }

    /// A bind as `dn` on a connection of its own: the server's answer.
    pub(crate) async fn bind_as(
        &self,
        dn: &str,
        password: &str,
    ) -> Result<ldap3::LdapResult, DirError> {
        let (mut ldap, _) = self.connect().await?;
        let result = ldap
            .with_timeout(self.settings.timeout)
            .simple_bind(dn, password)
            .await
            .map_err(|e| self.timeout_or(e));
        let _ = ldap.unbind().await;
        result
    }

    /// Connected and bound as the service account, for the other modules.
    pub(crate) async fn service_connection(&self) -> Result<Ldap, DirError> {
        self.service().await
    }

    /// A paged subtree search of `base`; continuation references (AD's
    /// `ldaps://domain/CN=Configuration,...` from a domain root) are skipped.
    pub(crate) async fn search<T>(
        &self,
        ldap: &mut Ldap,
        base: &str,
        filter: &str,
        attributes: Vec<String>,
        on_page: &mut impl FnMut(usize),
        keep: &mut impl FnMut(DirEntry) -> T,
    ) -> Result<Vec<T>, DirError> {
        let s = &self.settings;
        let search_error = |reason: String| DirError::Search {
            base: base.to_string(),
            filter: filter.to_string(),
            reason,
        };
        let adapters: Vec<Box<dyn Adapter<_, _>>> = vec![
            Box::new(EntriesOnly::new()),
            Box::new(PagedResults::new(s.page_size)),
        ];
        let mut stream = ldap
            .with_timeout(s.timeout)
            .streaming_search_with(adapters, base, Scope::Subtree, filter, attributes)
            .await
            .map_err(|e| search_error(e.to_string()))?;
        let mut entries = Vec::new();
        while let Some(entry) = stream
            .next()
            .await
            .map_err(|e| search_error(e.to_string()))?
        {
            entries.push(keep(DirEntry::from_tag(entry.0)?));
            if entries.len() % s.page_size.max(1) as usize == 0 {
                on_page(entries.len());
            }
        }
        let done = stream.finish().await;
        if done.rc != 0 {
            return Err(search_error(describe(done.rc, &done.text)));
        }
        on_page(entries.len());
        Ok(entries)
    }

    /// Whether a server was trusted because `ca_file` holds exactly its
    /// (self-signed) certificate, rather than its issuer.
    pub fn trusted_by_pin(&self) -> bool {
        self.pinned_used.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// What to tell an operator whose directory's certificate was refused.
    pub fn tls_advice(&self) -> String {
        crate::tls::advice(&self.settings)
    }

    /// The TLS set-up for connections to the directory (the LDAP proxy's
    /// own connections use it too).
    pub fn tls_config(&self) -> Arc<rustls::ClientConfig> {
        self.tls.clone()
    }

    /// Who a bind name (a DN, a username, or a UPN on AD) is: their DN
    /// and what the directory calls them (the username attribute; the DN
    /// itself for an entry without one). Group membership is not asked, so
    /// a user who left the sync group is still known by their name (and
    /// Countersign, which disabled them, refuses them). `None` when there is
    /// no such entry; any other failure of the search is an error.
    pub async fn find_bind_user(&self, name: &str) -> Result<Option<BindUser>, DirError> {
        let wanted = self.settings.attributes.username.clone();
        let mut service = self.service().await?;
        let found = match looks_like_dn(name) {
            true => self.read_entry(&mut service, name, &wanted).await,
            false => {
                let filter = format!("(&{}{})", self.settings.user_filter, self.by_name(name));
                let base = self.settings.base_dn.clone();
                let attributes = vec![wanted.clone()];
                self.search(
                    &mut service,
                    &base,
                    &filter,
                    attributes,
                    &mut |_| {},
                    &mut |e| e,
                )
                .await
            }
        };
        let _ = service.unbind().await;
        Ok(match found?.as_slice() {
            [one] => Some(BindUser {
                dn: one.dn.clone(),
                username: one.text(&wanted).unwrap_or_else(|| one.dn.clone()),
            }),
            _ => None,
        })
    }

    /// The entry at `dn` (none when it does not exist or the DN is not one).
    async fn read_entry(
        &self,
        ldap: &mut Ldap,
        dn: &str,
        attribute: &str,
    ) -> Result<Vec<DirEntry>, DirError> {
        const NO_SUCH_OBJECT: u32 = 32;
        const INVALID_DN_SYNTAX: u32 = 34;
        let search_error = |reason: String| DirError::Search {
            base: dn.to_string(),
            filter: "(objectClass=*)".into(),
            reason,
        };
        let ldap3::SearchResult(entries, result) = ldap
            .with_timeout(self.settings.timeout)
            .search(dn, Scope::Base, "(objectClass=*)", vec![attribute])
            .await
            .map_err(|e| self.timeout_or(e))?;
        match result.rc {
            0 => entries
                .into_iter()
                .map(|e| DirEntry::from_tag(e.0))
                .collect(),
            NO_SUCH_OBJECT | INVALID_DN_SYNTAX => Ok(Vec::new()),
            rc => Err(search_error(describe(rc, &result.text))),
        }
    }

    /// A DN that names no entry: bound to for unknown names, so that they
    /// cost what a wrong password does.
    pub fn absent_dn(&self) -> String {
        format!("cn=countersign-no-such-user,{}", self.settings.base_dn)
    }

    /// The filter part that finds a user by name: the UPN on AD when the
    /// name has an `@`, else the username attribute.
    pub(crate) fn by_name(&self, username: &str) -> String {
        let name = ldap3::ldap_escape(username);
        match self.settings.kind {
            DirectoryKind::Ad if username.contains('@') => format!("(userPrincipalName={name})"),
            _ => format!("({}={name})", self.settings.attributes.username),
        }
    }
}

/// A user the LDAP proxy binds: where they are and what Countersign calls them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindUser {
    pub dn: String,
    pub username: String,
}

/// `uid=alice,ou=people,...` rather than `alice` or `alice@example.org`.
pub fn looks_like_dn(name: &str) -> bool {
    name.split(',')
        .next()
        .is_some_and(|rdn| rdn.contains('=') && !rdn.starts_with('='))
}

fn connect_error(settings: &DirectorySettings, url: &str, e: LdapError) -> DirError {
    let text = e.to_string();
    if text.contains("certificate") || text.contains("tls") || text.contains("TLS") {
        let advice = crate::tls::advice(settings);
        return DirError::Tls(format!("{url}: {text}; {advice}"));
    }
    DirError::Unreachable {
        url: url.to_string(),
        reason: text,
    }
}
