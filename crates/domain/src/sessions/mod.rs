//! Signed-in browser sessions, one system for every kind: administrators
//! in the console and users in the portal. A session has a level (second
//! factor due, enrolment only, signed in), idle and absolute limits of its
//! kind, a new token once the second factor is passed, a sealed working
//! state, and "sign out everywhere". The doors keep the kinds apart: each
//! has its own cookie, and the store finds a session only as its own kind.

mod admin;
mod expiry;
mod remembered;
mod service;
mod subject;

pub use admin::ADMIN_RESULT;
pub use expiry::{Closed, SessionPolicy};
pub use remembered::{RememberedDevices, REMEMBERED_COOKIE};
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
    /// Users' remembered browsers (the portal, /sso).
    pub remembered: RememberedDevices,
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
            sso: SessionsOf::new(store.clone(), clock.clone(), key.clone(), SSO_DEFAULT),
            remembered: RememberedDevices::new(store, clock, key),
        }
    }

    /// `/sso` sessions' limits read from `source` at every use (the stored
    /// settings `sso_idle_minutes`, `sso_absolute_hours`).
    pub fn with_sso_policy(mut self, source: PolicySource) -> Self {
        self.sso = self.sso.with_policy_source(source);
        self
    }

    /// "Sign out everywhere" for a user, and what a password change does:
    /// every portal and /sso session ends and every remembered browser is
    /// forgotten. Returns (sessions ended, browsers forgotten).
    pub async fn sign_out_user_everywhere(&self, user_id: &str) -> Result<(u64, u64), DomainError> {
        let ended = self.users.close_all(user_id).await? + self.sso.close_all(user_id).await?;
        let forgotten = self.remembered.forget_all(user_id).await?;
        Ok((ended, forgotten))
    }

    /// Removes the expired sessions of every kind; returns how many.
    pub async fn sweep(&self) -> Result<u64, DomainError> {
        let expired = self.remembered.sweep().await?;
        Ok(self.admins.sweep().await?
            + self.users.sweep().await?
            + self.sso.sweep().await?
            + expired)
    }
}
