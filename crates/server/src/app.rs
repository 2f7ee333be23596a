//! Building the services from the configuration, once, for `serve` and the CLI.

use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result};
use countersign_domain::admin::apikeys::cache::KeyCache;
use countersign_domain::methods::codes::Codes;
use countersign_domain::methods::outbox::Outbox;
use countersign_domain::methods::push::Push;
use countersign_domain::metrics::MetricsSource;
use countersign_domain::sync::welcome::{Welcome, WelcomePolicy};
use countersign_messaging::Templates;

use crate::messaging::{Gateways, TemplateComposer};
use countersign_domain::admin::radius_clients::RadiusClients;
use countersign_domain::{Accounts, ApiKeys, Clock, SignIn, Store, SystemClock, Verifier};
use countersign_store::{SqlStore, StoreOptions};
use countersign_web::push_hub::Hub;

use countersign_domain::methods::webpush::{WebPush, WebPushPolicy};
use countersign_domain::ports::PushNotifier;

use crate::config::Config;
use crate::secret_key;
use crate::webpush::{Sender, WebPushMetrics, WithWebPush};

pub struct App {
    pub config: Config,
    pub sql: SqlStore,
    pub store: Arc<dyn Store>,
    pub accounts: Accounts,
    pub verifier: Verifier,
    pub signin: SignIn,
    pub api_keys: ApiKeys,
    pub radius_clients: RadiusClients,
    pub push: Push,
    pub outbox: Outbox,
    pub codes: Codes,
    pub welcome: Welcome,
    pub gateways: Arc<Gateways>,
    pub hub: Arc<Hub>,
    pub clock: Arc<dyn Clock>,
    /// Web Push to the web app (`[web_push] enabled`), and its counters.
    pub web_push: Option<WebPush>,
    pub webpush_metrics: Arc<WebPushMetrics>,
    pub sessions: countersign_domain::sessions::console::Sessions,
    pub portal: countersign_domain::portal::Portal,
    pub directory_metrics: Arc<crate::directory::DirectoryMetrics>,
    /// The directory client (`[directory] url`), shared by the doors that
    /// check passwords against it (portal, RADIUS, the LDAP proxy).
    pub directory: Option<countersign_directory::Directory>,
    pub portal_pages: Arc<countersign_web::portal::Pages>,
    pub settings: countersign_domain::admin::settings::SettingsService,
    /// Imported hardware tokens waiting for a user.
    pub pool: countersign_domain::admin::pool::TokenPool,
}

impl App {
    pub async fn open(config: Config) -> Result<App> {
        if config.database_url.starts_with("sqlite:") {
            std::fs::create_dir_all(&config.data_dir).with_context(|| {
                format!(
                    "cannot create the data directory {}",
                    config.data_dir.display()
                )
            })?;
        }
        let options = StoreOptions {
            url: config.database_url.clone(),
            max_connections: config.max_connections,
            migrate: true,
        };
        let sql = countersign_store::open(&options).await?;
        let store: Arc<dyn Store> = Arc::new(sql.clone());
        let key = secret_key::load_or_create(&config)?;
        secret_key::check_against_store(&key, store.as_ref()).await?;
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let accounts = Accounts::new(
            store.clone(),
            clock.clone(),
            key.clone(),
            config.issuer.clone(),
        );
        let policy = config.verify_policy();
        let pool = countersign_domain::admin::pool::TokenPool::new(
            store.clone(),
            clock.clone(),
            key.clone(),
            accounts.clone(),
            countersign_domain::signin::matching::Window {
                totp_steps: policy.totp_window,
                hotp_lookahead: policy.hotp_lookahead,
            },
        );
        let verifier = Verifier::new(
            store.clone(),
            clock.clone(),
            key.clone(),
            config.verify_policy(),
        );
        let hub = Arc::new(Hub::new(store.clone()));
        let webpush_metrics = Arc::new(WebPushMetrics::default());
        let web_push = open_web_push(&config, &store, &clock, &key).await?;
        let notifier: Arc<dyn PushNotifier> = match &web_push {
            Some(web_push) => Arc::new(WithWebPush {
                hub: hub.clone(),
                sender: Arc::new(Sender::new(web_push.clone(), webpush_metrics.clone())?),
            }),
            None => hub.clone(),
        };
        let push = Push::new(
            store.clone(),
            clock.clone(),
            key.clone(),
            config.push.clone(),
            accounts.clone(),
            verifier.clone(),
            notifier,
        );
        let gateways = Arc::new(Gateways::new(&config)?);
        let templates = Templates::new(config.messaging.templates.as_deref())
            .map_err(|e| anyhow::anyhow!("email.templates: {e}"))?;
        let composer: Arc<dyn countersign_domain::ports::Composer> =
            Arc::new(TemplateComposer(templates));
        let outbox = Outbox::new(store.clone(), clock.clone(), key.clone(), gateways.clone());
        let mut code_policy = config.messaging.codes.clone();
        code_policy.account_name = config.push.account_name.clone();
        let codes = Codes::new(
            store.clone(),
            clock.clone(),
            key.clone(),
            outbox.clone(),
            composer.clone(),
            verifier.clone(),
            code_policy,
        );
        let signin = SignIn::new(
            verifier.clone(),
            push.clone(),
            codes.clone(),
            hub.clone(),
            config.signin_policy(),
        );
        let welcome_policy = WelcomePolicy {
            enabled: config.messaging.welcome,
            attachments: config
                .messaging
                .attachments
                .iter()
                .map(|p| p.display().to_string())
                .collect(),
            service_url: config
                .public_url
                .clone()
                .unwrap_or_else(|| format!("http://{}/", config.listen)),
            pin: crate::serve::served_pin(&config),
            account_name: config.push.account_name.clone(),
        };
        let portal = countersign_domain::portal::Portal::new(
            store.clone(),
            clock.clone(),
            key.clone(),
            outbox.clone(),
            composer.clone(),
            verifier.settings().clone(),
            config.portal.clone(),
        );
        let directory = match &config.directory {
            Some(d) => Some(
                countersign_directory::Directory::new(d.settings.clone())
                    .map_err(|e| anyhow::anyhow!("{e}"))?,
            ),
            None => None,
        };
        let portal = match &directory {
            Some(directory) => portal.with_directory(Arc::new(
                crate::directory::DirectoryPasswords(directory.clone()),
            )),
            None => portal,
        };
        let welcome = Welcome::new(
            store.clone(),
            outbox.clone(),
            composer,
            push.clone(),
            welcome_policy,
        )
        .with_portal(portal.clone());
        let settings = countersign_domain::admin::settings::SettingsService::new(
            store.clone(),
            verifier.settings().clone(),
            config.stored_settings_defaults(),
        );
        settings.refresh().await?;
        let portal_pages = countersign_web::portal::Pages::load(config.portal_templates.as_deref())
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(App {
            directory_metrics: Arc::new(crate::directory::DirectoryMetrics::new()),
            directory,
            portal,
            portal_pages: Arc::new(portal_pages),
            settings,
            outbox,
            codes,
            welcome,
            gateways,
            api_keys: api_keys(&store, &clock),
            sessions: countersign_domain::sessions::console::Sessions::new(
                store.clone(),
                clock.clone(),
                key.clone(),
                config.console_sessions,
            ),
            radius_clients: RadiusClients::new(store.clone(), clock.clone(), key),
            accounts,
            pool,
            verifier,
            signin,
            push,
            hub,
            clock,
            web_push,
            webpush_metrics,
            sql,
            store,
            config,
        })
    }

    /// The HTTP doors' state; `metrics` are other doors' metrics for `/metrics`.
    pub fn web_state(
        &self,
        metrics: Vec<Arc<dyn MetricsSource>>,
        tls_pin: Option<String>,
    ) -> countersign_web::AppState {
        countersign_web::AppState::new(countersign_web::Services {
            accounts: self.accounts.clone(),
            verifier: self.verifier.clone(),
            signin: self.signin.clone(),
            api_keys: self.api_keys.clone(),
            store: self.store.clone(),
            issuer: self.config.issuer.clone(),
            started: Instant::now(),
            metrics,
            push: self.push.clone(),
            outbox: self.outbox.clone(),
            codes: self.codes.clone(),
            welcome: self.welcome.clone(),
            inbound_secret: self.config.messaging.inbound_secret.clone(),
            hub: self.hub.clone(),
            web_push: self.web_push.clone(),
            public_url: self.config.public_url.clone(),
            tls_pin,
            diagnostics: Arc::new(crate::doctor::Doctor::new(self.config.clone())),
            admins: countersign_domain::admin::admins::Admins::new(
                self.store.clone(),
                self.clock.clone(),
            ),
            sessions: self.sessions.clone(),
            portal: self.portal.clone(),
            portal_pages: self.portal_pages.clone(),
            directory_sync: self.config.directory.as_ref().map(|d| {
                Arc::new(crate::directory::Runner::new(self, d))
                    as Arc<dyn countersign_domain::ports::SyncTrigger>
            }),
            settings: self.settings.clone(),
            server_settings: Arc::new(self.config.server_settings()),
            pool: self.pool.clone(),
            radius_clients: self.radius_clients.clone(),
            doctor_cache: Arc::default(),
            proxy: Arc::new(countersign_web::proxy::ProxyPolicy {
                // Forwarded headers count only in proxy mode.
                trusted: if self.config.behind_proxy {
                    self.config.trusted_proxies.clone()
                } else {
                    Vec::new()
                },
            }),
        })
    }
}

/// The VAPID key (made at first start, sealed in `meta`, shared by every
/// node) and the subscriptions, when `[web_push] enabled`.
async fn open_web_push(
    config: &Config,
    store: &Arc<dyn Store>,
    clock: &Arc<dyn Clock>,
    key: &countersign_domain::SecretKey,
) -> Result<Option<WebPush>> {
    if !config.web_push.enabled {
        return Ok(None);
    }
    let policy = WebPushPolicy {
        subject: config.web_push.subject.clone(),
        allow_http: config.web_push.allow_http,
        account_name: config.push.account_name.clone(),
    };
    let web_push = WebPush::open(store.clone(), clock.clone(), key.clone(), policy)
        .await
        .context(
            "cannot open the Web Push VAPID key (set [web_push] enabled = false to run without it)",
        )?;
    Ok(Some(web_push))
}

/// On PostgreSQL verified keys are cached, as revocations reach every node
/// by NOTIFY (`serve` listens); on SQLite the key is a direct indexed read
/// and the CLI, another process, can revoke it without telling us.
fn api_keys(store: &Arc<dyn Store>, clock: &Arc<dyn Clock>) -> ApiKeys {
    let keys = ApiKeys::new(store.clone(), clock.clone());
    match store.backend() {
        "postgres" => keys.with_cache(Arc::new(KeyCache::new())),
        _ => keys,
    }
}
