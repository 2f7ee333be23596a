//! Signed-in browser sessions, one system for every kind: administrators
//! in the console and users in the portal. A session has a level (second
//! factor due, enrolment only, signed in), idle and absolute limits of its
//! kind, a new token once the second factor is passed, a sealed working
//! state, and "sign out everywhere". The doors keep the kinds apart: each
//! has its own cookie, and the store finds a session only as its own kind.

mod admin;
mod expiry;
mod service;
mod subject;

pub use admin::ADMIN_RESULT;
pub use expiry::{Closed, SessionPolicy};
pub use service::PolicySource;
pub use service::SessionsOf;
pub use subject::{Live, SsoUser, Subject, WorkingState};

use std::sync::Arc;

use crate::crypto::SecretKey;
use crate::model::admin::Admin;
use crate::model::error::DomainError;
use crate::model::user::User;
use crate::ports::clock::Clock;
use crate::ports::SessionsPorts;

/// Administrators' sessions (the console).
pub type AdminSessions = SessionsOf<Admin>;
/// Users' sessions, with the sign-in's working state (the portal).
pub type UserSessions = SessionsOf<User>;

/// Users' sessions at `/sso`, with limits from the stored settings.
pub type SsoSessions = SessionsOf<SsoUser>;

/// The `/sso` limits until the settings are read (the settings' defaults).
const SSO_DEFAULT: SessionPolicy = SessionPolicy {
    idle_seconds: 60 * 60,
    absolute_seconds: 12 * 3600,
};

/// Every kind of session.
#[derive(Clone)]
pub struct Sessions {
    pub admins: AdminSessions,
    pub users: UserSessions,
    pub sso: SsoSessions,
}

impl Sessions {
    /// Each kind with its own limits (`[console]`, `[portal]`).
    pub fn new(
        store: Arc<dyn SessionsPorts>,
        clock: Arc<dyn Clock>,
        key: SecretKey,
        admins: SessionPolicy,
        users: SessionPolicy,
    ) -> Self {
        Self {
            admins: SessionsOf::new(store.clone(), clock.clone(), key.clone(), admins),
            users: SessionsOf::new(store.clone(), clock.clone(), key.clone(), users),
            sso: SessionsOf::new(store, clock, key, SSO_DEFAULT),
        }
    }

    /// `/sso` sessions' limits read from `source` at every use (the stored
    /// settings `sso_idle_minutes`, `sso_absolute_hours`).
    pub fn with_sso_policy(mut self, source: PolicySource) -> Self {
        self.sso = self.sso.with_policy_source(source);
        self
    }

    /// Removes the expired sessions of every kind; returns how many.
    pub async fn sweep(&self) -> Result<u64, DomainError> {
        Ok(self.admins.sweep().await? + self.users.sweep().await? + self.sso.sweep().await?)
    }
}
