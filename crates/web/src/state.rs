//! The state of the HTTP doors. The composition root builds one
//! [`Services`]; [`AppState::new`] derives each door's own state from it,
//! once. A handler takes its door's state (`State<ApiState>`,
//! `State<ConsoleState>`, ...) through axum's `FromRef`, so it reaches only
//! the services its door uses.
//!
//! axum clones the state for every extractor of every request: each state
//! is one `Arc`, so a clone is one reference count, not a copy of every
//! service (that was ~12% of the server's CPU per verification).

use std::ops::Deref;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::FromRef;
use countersign_domain::admin::audit_trail::AuditTrail;
use countersign_domain::admin::bulk::BulkChanges;
use countersign_domain::health::Health;
use countersign_domain::sync::directory::SyncStatus;
use countersign_domain::{Accounts, ApiKeys, Store, Verifier};

use crate::api::ApiState;
use crate::console::ConsoleState;
use crate::device::DeviceState;
use crate::http::address::ServiceAddress;
use crate::monitoring::MonitoringState;
use crate::oidc::OidcState;
use crate::portal::PortalState;
use crate::{console, portal, proxy, push_hub};

/// One door's services, shared: cloning it is one reference count.
pub struct Door<T>(Arc<T>);

impl<T> Door<T> {
    pub fn new(services: T) -> Self {
        Door(Arc::new(services))
    }
}

impl<T> Clone for Door<T> {
    fn clone(&self) -> Self {
        Door(self.0.clone())
    }
}

impl<T> Deref for Door<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

/// Helpers shared by a door's handlers and the guards take `&impl AsRef<...State>`.
impl<T> AsRef<Door<T>> for Door<T> {
    fn as_ref(&self) -> &Door<T> {
        self
    }
}

/// The state of the whole router: every door's state, derived once.
#[derive(Clone)]
pub struct AppState(Arc<Doors>);

struct Doors {
    services: Services,
    api: ApiState,
    device: DeviceState,
    console: ConsoleState,
    portal: PortalState,
    monitoring: MonitoringState,
    oidc: OidcState,
}

impl AppState {
    pub fn new(services: Services) -> AppState {
        AppState(Arc::new(Doors {
            api: Door::new((&services).into()),
            device: Door::new((&services).into()),
            console: Door::new((&services).into()),
            portal: Door::new((&services).into()),
            monitoring: Door::new((&services).into()),
            oidc: Door::new((&services).into()),
            services,
        }))
    }
}

/// Every service, for what still reads the whole: the console's and the
/// portal's guards and sign-in pages (their sessions are being unified) and
/// the client address extractor (the proxy policy).
impl Deref for AppState {
    type Target = Services;

    fn deref(&self) -> &Services {
        &self.0.services
    }
}

/// `AsRef` (for helpers) and `FromRef` (for `State<...>`) of each door's state.
macro_rules! door_state {
    ($state:ty, $field:ident) => {
        impl AsRef<$state> for AppState {
            fn as_ref(&self) -> &$state {
                &self.0.$field
            }
        }

        impl FromRef<AppState> for $state {
            fn from_ref(app: &AppState) -> Self {
                app.0.$field.clone()
            }
        }
    };
}

door_state!(ApiState, api);
door_state!(DeviceState, device);
door_state!(ConsoleState, console);
door_state!(PortalState, portal);
door_state!(MonitoringState, monitoring);
door_state!(OidcState, oidc);

/// What the composition root builds, once; each door's state takes its part.
pub struct Services {
    pub accounts: Accounts,
    /// Groups of users (local and from the directory).
    pub groups: countersign_domain::admin::groups::Groups,
    pub verifier: Verifier,
    /// The sign-in engine every door goes through.
    pub signin: countersign_domain::SignIn,
    pub api_keys: ApiKeys,
    /// The whole store: only for the console's sign-in (being unified with
    /// the portal's); the doors go through the services.
    pub store: Arc<dyn Store>,
    pub issuer: String,
    pub started: Instant,
    /// Which peers may forward the client's address.
    pub proxy: Arc<proxy::ProxyPolicy>,
    /// Metrics of other doors (RADIUS), appended to `/metrics`.
    pub metrics: Vec<Arc<dyn countersign_domain::metrics::MetricsSource>>,
    /// Who may read `/metrics` (a bearer token), and whether it has its own listener.
    pub metrics_access: crate::monitoring::MetricsAccess,
    /// Push approval, and this node's live device streams and waiters.
    pub push: countersign_domain::methods::push::Push,
    pub hub: Arc<push_hub::Hub>,
    /// Web Push to the web app, when `[web_push] enabled`.
    pub web_push: Option<countersign_domain::methods::webpush::WebPush>,
    /// Where users and devices reach this server (activation URLs).
    pub public_url: Option<String>,
    /// SHA-256 pin of the served certificate's key, when serving TLS.
    pub tls_pin: Option<String>,
    /// Whether browsers come over HTTPS (here or through a TLS proxy), and HSTS.
    pub transport: crate::http::transport::Transport,
    /// The message outbox, codes by SMS and email, welcome emails.
    pub outbox: countersign_domain::methods::outbox::Outbox,
    pub codes: countersign_domain::methods::codes::Codes,
    pub welcome: countersign_domain::sync::welcome::Welcome,
    /// The shared secret the SMS gateway sends with replies.
    pub inbound_secret: Option<String>,
    /// The checks of `countersign doctor`.
    pub diagnostics: Arc<dyn countersign_domain::ports::diagnostics::Diagnostics>,
    /// Console administrators; the sessions of administrators and users.
    pub admins: countersign_domain::admin::admins::Admins,
    pub sessions: countersign_domain::sessions::Sessions,
    /// Single sign-on at `/sso`: its sessions, redirect rules and forward auth.
    pub sso: countersign_domain::sso::Sso,
    /// The user portal's rules and its pages (templates, words).
    pub portal: countersign_domain::portal::Portal,
    pub portal_pages: Arc<portal::Pages>,
    /// Runs a directory sync now, when a directory is configured (`[directory] url`).
    pub directory_sync: Option<Arc<dyn countersign_domain::ports::SyncTrigger>>,
    /// The last directory sync's summary (configured here or not).
    pub directory_status: SyncStatus,
    /// The policy kept in the store (console settings page, `/api/v1/settings`).
    pub settings: countersign_domain::admin::settings::SettingsService,
    /// The sign-in rules kept in the store (console rules page, `/api/v1/rules`).
    pub rules: countersign_domain::rules::RulesService,
    /// The dashboard's last `doctor` run (checks probe the network: not on every view).
    pub doctor_cache: Arc<console::DoctorCache>,
    /// RADIUS clients kept in the store.
    pub radius_clients: countersign_domain::admin::radius_clients::RadiusClients,
    /// Settings that stay in the configuration file, shown read-only.
    /// `(key, value, where the value came from)`.
    pub server_settings: Arc<Vec<(String, String, String)>>,
    /// Imported hardware tokens waiting for a user.
    pub pool: countersign_domain::admin::pool::TokenPool,
    /// Reading the audit trail (API, console, the portal's recent sign-ins).
    pub audit: AuditTrail,
    /// The console's bulk enable/disable jobs.
    pub bulk: BulkChanges,
    /// Whether the database answers (`/healthz`).
    pub health: Health,
    /// Rate limits of the guessable doors and the work pool (`[limits]`).
    pub throttle: countersign_domain::throttle::Throttle,
    /// The HTTP voice provider's callbacks (`[voice] provider = "http"`).
    pub voice: Option<crate::voice::VoiceDoor>,
    /// The OpenID Provider (issue 27): clients, keys, codes and tokens.
    pub oidc: countersign_domain::oidc::OidcProvider,
}

impl Services {
    /// Where users and devices reach this server.
    pub fn address(&self) -> ServiceAddress {
        ServiceAddress {
            public_url: self.public_url.clone(),
            tls_pin: self.tls_pin.clone(),
        }
    }
}
