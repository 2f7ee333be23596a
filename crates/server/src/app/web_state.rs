//! The state the HTTP doors (API, console, portal) share, from the App.

use std::sync::Arc;
use std::time::Instant;

use countersign_domain::admin::audit_trail::AuditTrail;
use countersign_domain::admin::bulk::BulkChanges;
use countersign_domain::health::Health;
use countersign_domain::metrics::MetricsSource;
use countersign_domain::sync::directory::SyncStatus;

use super::App;

impl App {
    /// The HTTP doors' state; `metrics` are other doors' metrics for `/metrics`.
    pub fn web_state(
        &self,
        metrics: Vec<Arc<dyn MetricsSource>>,
        tls_pin: Option<String>,
    ) -> countersign_web::AppState {
        countersign_web::AppState::new(countersign_web::Services {
            accounts: self.accounts.clone(),
            groups: self.groups(),
            verifier: self.verifier.clone(),
            signin: self.signin.clone(),
            api_keys: self.api_keys.clone(),
            store: self.store.clone(),
            issuer: self.config.issuer.clone(),
            started: Instant::now(),
            metrics,
            metrics_access: countersign_web::MetricsAccess {
                token: self.config.metrics_token.clone(),
                own_listener: self.config.metrics_listen.is_some(),
            },
            push: self.push.clone(),
            outbox: self.outbox.clone(),
            codes: self.codes.clone(),
            welcome: self.welcome.clone(),
            inbound_secret: self.config.messaging.inbound_secret.clone(),
            hub: self.hub.clone(),
            web_push: self.web_push.clone(),
            public_url: self.config.public_url.clone(),
            tls_pin,
            transport: countersign_web::Transport {
                https: self.config.browsers_use_https(),
                hsts_max_age: self.config.hsts_max_age_seconds,
            },
            diagnostics: Arc::new(crate::doctor::Doctor::new(self.config.clone())),
            admins: countersign_domain::admin::admins::Admins::new(
                self.store.clone(),
                self.clock.clone(),
            )
            .with_pool(self.throttle.pool().clone()),
            throttle: self.throttle.clone(),
            oidc: self.oidc.clone(),
            voice: self
                .voice_hooks
                .clone()
                .map(|hooks| countersign_web::voice::VoiceDoor {
                    hooks,
                    public_url: self.config.public_url.clone().unwrap_or_default(),
                }),
            sessions: self.sessions.clone(),
            sso: self.sso.clone(),
            portal: self.portal.clone(),
            portal_pages: self.portal_pages.clone(),
            directory_sync: self.config.directory.as_ref().map(|d| {
                Arc::new(crate::directory::Runner::new(self, d))
                    as Arc<dyn countersign_domain::ports::SyncTrigger>
            }),
            settings: self.settings.clone(),
            rules: self.rules.clone(),
            server_settings: Arc::new(self.config.server_settings()),
            pool: self.pool.clone(),
            audit: AuditTrail::new(self.store.clone()),
            bulk: BulkChanges::new(self.store.clone(), self.accounts.clone()),
            health: Health::new(self.store.clone(), self.hearing.clone()),
            directory_status: SyncStatus::new(self.store.clone()),
            radius_clients: self.radius_clients.clone(),
            doctor_cache: Arc::default(),
            proxy: Arc::new(countersign_web::proxy::ProxyPolicy {
                // Forwarded headers count only in proxy mode.
                trusted: if self.config.behind_proxy {
                    self.config.trusted_proxies.clone()
                } else {
                    Vec::new()
                },
                header: self.config.forwarded_header,
            }),
        })
    }
}
