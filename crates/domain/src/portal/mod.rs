//! The user self-service portal's rules: the working state of its sessions
//! (users' sessions in [`crate::sessions`]), one-time enrolment links, the
//! portal password (the first factor when no directory is configured), the
//! PIN policy, contact changes confirmed by a code, and the names users give their tokens and devices. The web pages
//! (`crates/web/src/portal/`) only map forms to these calls and the
//! sign-in engine.

mod contact;
mod links;
mod password;
mod pin_policy;
mod session;

use std::sync::Arc;

pub use contact::ContactError;
pub use links::{LinkState, LINK_PURPOSE};
pub use password::{PasswordDirectory, PasswordProof};
pub use pin_policy::check_pin_policy;
pub use session::{PendingContact, PortalLive, SessionData, Underway};

use crate::admin::settings::SettingsHandle;
use crate::crypto::SecretKey;
use crate::methods::outbox::Outbox;
use crate::methods::sends::{SendGate, SendPolicy};
use crate::model::error::DomainError;
use crate::ports::clock::Clock;
use crate::ports::Composer;
use crate::ports::PortalPorts;
use crate::sessions::SessionPolicy;

/// `[portal]` in the configuration.
#[derive(Debug, Clone)]
pub struct PortalPolicy {
    /// How long an enrolment link works (default 7 days).
    pub link_seconds: i64,
    /// The address users reach the portal at, for links (`https://mfa.example.com`).
    pub public_url: String,
    /// Users' session limits (the sessions are [`crate::sessions::Sessions::users`]).
    pub sessions: SessionPolicy,
    /// How long a code sent to confirm a new phone or email works.
    pub contact_code_seconds: i64,
}

impl Default for PortalPolicy {
    fn default() -> Self {
        Self {
            link_seconds: 7 * 24 * 3600,
            public_url: "http://127.0.0.1:8080".into(),
            // Shorter than the console's: users sign in for a few changes.
            sessions: SessionPolicy {
                idle_seconds: 15 * 60,
                absolute_seconds: 8 * 3600,
            },
            contact_code_seconds: 600,
        }
    }
}

#[derive(Clone)]
pub struct Portal {
    pub(crate) store: Arc<dyn PortalPorts>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) key: SecretKey,
    pub(crate) outbox: Outbox,
    pub(crate) composer: Arc<dyn Composer>,
    pub(crate) settings: SettingsHandle,
    pub(crate) policy: PortalPolicy,
    /// Users' passwords are the directory's (the first factor in order: the directory, else the portal's own).
    pub(crate) directory: Option<Arc<dyn PasswordDirectory>>,
    /// The send limits the contact codes pass (shared with sign-in codes).
    pub(crate) gate: SendGate,
    /// Where password checks run (bounded, off the async workers).
    pub(crate) pool: crate::throttle::WorkPool,
}

impl Portal {
    pub fn new(
        store: Arc<dyn PortalPorts>,
        clock: Arc<dyn Clock>,
        key: SecretKey,
        outbox: Outbox,
        composer: Arc<dyn Composer>,
        settings: SettingsHandle,
        policy: PortalPolicy,
    ) -> Self {
        let gate = SendGate::new(store.clone(), clock.clone(), SendPolicy::default());
        Self {
            store,
            clock,
            key,
            outbox,
            composer,
            settings,
            policy,
            directory: None,
            gate,
            pool: crate::throttle::WorkPool::default(),
        }
    }

    /// The send limits, shared with the sign-in codes ([`crate::methods::codes::Codes::send_gate`]).
    pub fn with_send_gate(mut self, gate: SendGate) -> Self {
        self.gate = gate;
        self
    }

    /// Checks passwords on the node's shared work pool.
    pub fn with_pool(mut self, pool: crate::throttle::WorkPool) -> Self {
        self.pool = pool;
        self
    }

    /// Passwords are checked against the directory.
    pub fn with_directory(mut self, directory: Arc<dyn PasswordDirectory>) -> Self {
        self.directory = Some(directory);
        self
    }

    pub fn policy(&self) -> &PortalPolicy {
        &self.policy
    }

    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// The names users gave their tokens, by token id.
    pub async fn token_labels(
        &self,
        user_id: &str,
    ) -> Result<std::collections::HashMap<String, String>, DomainError> {
        Ok(self
            .store
            .token_labels(user_id)
            .await?
            .into_iter()
            .collect())
    }

    /// Names one of the user's tokens (1 to 40 printable characters).
    pub async fn label_token(
        &self,
        user_id: &str,
        token_id: &str,
        label: &str,
    ) -> Result<(), DomainError> {
        let label = checked_label(label)?;
        let owned = self.store.tokens_of_user(user_id).await?;
        if !owned.iter().any(|t| t.id == token_id) {
            return Err(DomainError::not_found("token", token_id));
        }
        Ok(self.store.set_token_label(token_id, &label).await?)
    }

    /// Renames one of the user's devices (1 to 40 printable characters).
    pub async fn rename_device(
        &self,
        user_id: &str,
        device_id: &str,
        name: &str,
    ) -> Result<(), DomainError> {
        let name = checked_label(name)?;
        match self.store.rename_device(user_id, device_id, &name).await? {
            true => Ok(()),
            false => Err(DomainError::not_found("device", device_id)),
        }
    }
}

fn checked_label(text: &str) -> Result<String, DomainError> {
    let text = text.trim();
    if text.is_empty() || text.chars().count() > 40 || text.chars().any(char::is_control) {
        return Err(DomainError::invalid(
            "name",
            "1 to 40 letters, digits or spaces, such as \"Work phone\"",
        ));
    }
    Ok(text.to_string())
}
