//! What the application API uses, and nothing else.

use std::sync::Arc;

use countersign_domain::admin::audit_trail::AuditTrail;
use countersign_domain::admin::pool::TokenPool;
use countersign_domain::admin::settings::SettingsService;
use countersign_domain::methods::codes::Codes;
use countersign_domain::methods::outbox::Outbox;
use countersign_domain::methods::push::Push;
use countersign_domain::ports::diagnostics::Diagnostics;
use countersign_domain::sync::directory::SyncStatus;
use countersign_domain::sync::welcome::Welcome;
use countersign_domain::{Accounts, ApiKeys, SignIn, Verifier};

use crate::http::address::ServiceAddress;
use crate::push_hub::Hub;
use crate::state::{Door, Services};

/// The API's state: one `Arc`, cloned per extractor.
pub type ApiState = Door<ApiServices>;

pub struct ApiServices {
    /// Authenticates the callers' keys (`AdminKey`, `VerifyKey`).
    pub api_keys: ApiKeys,
    pub accounts: Accounts,
    /// Groups and their members.
    pub groups: countersign_domain::admin::groups::Groups,
    /// Token resync.
    pub verifier: Verifier,
    /// `/verify` and `/transactions`.
    pub signin: SignIn,
    pub pool: TokenPool,
    pub welcome: Welcome,
    pub push: Push,
    pub outbox: Outbox,
    /// Two-way SMS replies, and the waiters they wake.
    pub codes: Codes,
    pub hub: Arc<Hub>,
    pub inbound_secret: Option<String>,
    pub audit: AuditTrail,
    pub settings: SettingsService,
    /// The sign-in rules (`/api/v1/rules`).
    pub rules: countersign_domain::rules::RulesService,
    /// Whether a directory is configured, and its last sync.
    pub directory_configured: bool,
    pub directory_status: SyncStatus,
    pub diagnostics: Arc<dyn Diagnostics>,
    /// Activation URLs.
    pub address: ServiceAddress,
    /// The OpenID Provider's clients.
    pub oidc_clients: countersign_domain::oidc::OidcClients,
}

impl From<&Services> for ApiServices {
    fn from(s: &Services) -> Self {
        Self {
            api_keys: s.api_keys.clone(),
            accounts: s.accounts.clone(),
            groups: s.groups.clone(),
            verifier: s.verifier.clone(),
            signin: s.signin.clone(),
            pool: s.pool.clone(),
            welcome: s.welcome.clone(),
            push: s.push.clone(),
            outbox: s.outbox.clone(),
            codes: s.codes.clone(),
            hub: s.hub.clone(),
            inbound_secret: s.inbound_secret.clone(),
            audit: s.audit.clone(),
            settings: s.settings.clone(),
            rules: s.rules.clone(),
            directory_configured: s.directory_sync.is_some(),
            directory_status: s.directory_status.clone(),
            diagnostics: s.diagnostics.clone(),
            address: s.address(),
            oidc_clients: s.oidc.clients.clone(),
        }
    }
}
