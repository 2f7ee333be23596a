//! What the admin console uses. The sign-in pages and the guard still read
//! [`crate::AppState`] while console and portal sessions are unified.

use std::sync::Arc;

use countersign_domain::admin::audit_trail::AuditTrail;
use countersign_domain::admin::bulk::BulkChanges;
use countersign_domain::admin::radius_clients::RadiusClients;
use countersign_domain::admin::settings::SettingsService;
use countersign_domain::methods::outbox::Outbox;
use countersign_domain::methods::passkeys::Passkeys;
use countersign_domain::methods::push::Push;
use countersign_domain::oidc::OidcClients;
use countersign_domain::portal::Portal;
use countersign_domain::ports::diagnostics::Diagnostics;
use countersign_domain::ports::SyncTrigger;
use countersign_domain::sessions::Sessions;
use countersign_domain::sync::directory::SyncStatus;
use countersign_domain::sync::welcome::Welcome;
use countersign_domain::{Accounts, ApiKeys, SignIn};

use super::DoctorCache;
use crate::http::address::ServiceAddress;
use crate::push_hub::Hub;
use crate::state::{Door, Services};

/// The console's state: one `Arc`, cloned per extractor.
pub type ConsoleState = Door<ConsoleServices>;

pub struct ConsoleServices {
    /// The forms' csrf values and the audit of every action.
    pub sessions: Sessions,
    pub accounts: Accounts,
    /// Groups and their members.
    pub groups: countersign_domain::admin::groups::Groups,
    /// Test sign-ins.
    pub signin: SignIn,
    pub push: Push,
    pub welcome: Welcome,
    /// Portal sign-in links.
    pub portal: Portal,
    pub api_keys: ApiKeys,
    pub outbox: Outbox,
    pub audit: AuditTrail,
    pub bulk: BulkChanges,
    pub settings: SettingsService,
    /// `(key, value, source)` of the settings in the configuration file.
    pub server_settings: Arc<Vec<(String, String, String)>>,
    pub radius_clients: RadiusClients,
    /// OpenID Connect clients (the same service as the CLI's and the API's).
    pub oidc_clients: OidcClients,
    /// The sign-in rules (the rules page; the tester runs `signin`).
    pub rules: countersign_domain::rules::RulesService,
    pub directory_sync: Option<Arc<dyn SyncTrigger>>,
    pub directory_status: SyncStatus,
    pub diagnostics: Arc<dyn Diagnostics>,
    pub doctor_cache: Arc<DoctorCache>,
    /// Devices online on this node (the dashboard).
    pub hub: Arc<Hub>,
    /// Activation links.
    pub address: ServiceAddress,
    /// Users' and administrators' own passkeys (the console alone may name
    /// principals); `None` while `[webauthn]` is not usable.
    pub passkeys: Option<Passkeys>,
}

impl From<&Services> for ConsoleServices {
    fn from(s: &Services) -> Self {
        Self {
            sessions: s.sessions.clone(),
            accounts: s.accounts.clone(),
            groups: s.groups.clone(),
            signin: s.signin.clone(),
            push: s.push.clone(),
            welcome: s.welcome.clone(),
            portal: s.portal.clone(),
            api_keys: s.api_keys.clone(),
            outbox: s.outbox.clone(),
            audit: s.audit.clone(),
            bulk: s.bulk.clone(),
            settings: s.settings.clone(),
            server_settings: s.server_settings.clone(),
            radius_clients: s.radius_clients.clone(),
            oidc_clients: s.oidc.clients.clone(),
            rules: s.rules.clone(),
            directory_sync: s.directory_sync.clone(),
            directory_status: s.directory_status.clone(),
            diagnostics: s.diagnostics.clone(),
            doctor_cache: s.doctor_cache.clone(),
            hub: s.hub.clone(),
            address: s.address(),
            passkeys: s.signin.passkeys().map(Passkeys::for_principals),
        }
    }
}
