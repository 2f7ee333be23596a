//! What the user portal uses. The sign-in pages and the guard still read
//! [`crate::AppState`] while console and portal sessions are unified.

use std::sync::Arc;

use countersign_domain::admin::audit_trail::AuditTrail;
use countersign_domain::admin::settings::SettingsService;
use countersign_domain::methods::passkeys::Passkeys;
use countersign_domain::methods::push::Push;
use countersign_domain::portal::Portal;
use countersign_domain::sessions::Sessions;
use countersign_domain::{Accounts, SignIn};

use super::Pages;
use crate::http::address::ServiceAddress;
use crate::state::{Door, Services};

/// The portal's state: one `Arc`, cloned per extractor.
pub type PortalState = Door<PortalServices>;

pub struct PortalServices {
    /// The users' sessions (and the administrators', never opened here).
    pub sessions: Sessions,
    /// The portal's rules: sessions, links, secrets, contacts, labels.
    pub portal: Portal,
    /// Templates and words.
    pub pages: Arc<Pages>,
    pub settings: SettingsService,
    /// Sign-ins and tests through the engine; the user's methods.
    pub signin: SignIn,
    /// The user's tokens, TOTP enrolment, profile changes.
    pub accounts: Accounts,
    /// The user's devices and app activation.
    pub push: Push,
    /// The user's recent sign-ins.
    pub audit: AuditTrail,
    /// Activation links.
    pub address: ServiceAddress,
    /// The user's passkeys (`None` while `[webauthn]` is not usable).
    pub passkeys: Option<Passkeys>,
}

impl From<&Services> for PortalServices {
    fn from(s: &Services) -> Self {
        Self {
            sessions: s.sessions.clone(),
            portal: s.portal.clone(),
            pages: s.portal_pages.clone(),
            settings: s.settings.clone(),
            signin: s.signin.clone(),
            accounts: s.accounts.clone(),
            push: s.push.clone(),
            audit: s.audit.clone(),
            address: s.address(),
            passkeys: s.signin.passkeys().cloned(),
        }
    }
}
