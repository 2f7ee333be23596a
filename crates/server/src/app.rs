//! Building the services from the configuration, once, for `serve` and the CLI.

mod passkeys;
mod people;
mod sso;
mod web_state;
mod welcome;

use welcome::build_welcome;

use std::sync::Arc;

use anyhow::{Context, Result};
use countersign_domain::admin::apikeys::cache::KeyCache;
use countersign_domain::methods::codes::Codes;
use countersign_domain::methods::outbox::Outbox;
use countersign_domain::methods::push::Push;
use countersign_domain::sync::welcome::Welcome;
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
    /// Administrators' and users' sessions, each kind with its limits.
    pub sessions: countersign_domain::sessions::Sessions,
    /// Single sign-on at `/sso`: its sessions' rules and forward auth.
    pub sso: countersign_domain::sso::Sso,
    pub portal: countersign_domain::portal::Portal,
    pub directory_metrics: Arc<crate::directory::DirectoryMetrics>,
    /// The directory client (`[directory] url`), shared by the doors that
    /// check passwords against it (portal, RADIUS, the LDAP proxy).
    pub directory: Option<countersign_directory::Directory>,
    pub portal_pages: Arc<countersign_web::portal::Pages>,
    pub settings: countersign_domain::admin::settings::SettingsService,
    /// The sign-in rules kept in the store (re-read with the settings).
    pub rules: countersign_domain::rules::RulesService,
    /// Imported hardware tokens waiting for a user.
    pub pool: countersign_domain::admin::pool::TokenPool,
    /// Whether this node hears the other nodes (PostgreSQL): part of readiness.
    pub hearing: countersign_domain::health::Hearing,
    /// Rate limits and the work pool (`[limits]`), shared by every door.
    pub throttle: countersign_domain::throttle::Throttle,
    /// The audit trail's live streams (`[audit.syslog]`, `[audit.file]`),
    /// tapped from the store; `serve` starts their senders.
    pub audit_streams: Option<Arc<crate::audit_stream::Streams>>,
    /// The HTTP voice provider's callbacks (`[voice] provider = "http"`),
    /// set when `serve` starts the telephone; the web door serves them.
    pub voice_hooks: Option<countersign_voice::http::Webhooks>,
    /// The OpenID Provider (issue 27); its issuer is `public_url`.
    pub oidc: countersign_domain::oidc::OidcProvider,
}

/// What every service is built on: the store, the clock and the secret key.
struct Base {
    sql: SqlStore,
    streams: Option<Arc<crate::audit_stream::Streams>>,
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    key: countersign_domain::SecretKey,
}

/// Push approvals: the hub the apps listen on, Web Push when enabled, and
/// the service that asks the user.
struct PushParts {
    hub: Arc<Hub>,
    web_push: Option<WebPush>,
    webpush_metrics: Arc<WebPushMetrics>,
    push: Push,
}

/// Email and SMS: the gateways, the composer of texts, the outbox and the
/// one-time codes sent through it.
struct MessagingParts {
    gateways: Arc<Gateways>,
    composer: Arc<dyn countersign_domain::ports::Composer>,
    outbox: Outbox,
    codes: Codes,
}

impl App {
    /// Builds every service in dependency order; the fallible steps run in
    /// this order too, so the first problem reported stays the same.
    pub async fn open(config: Config) -> Result<App> {
        let base = open_base(&config).await?;
        let accounts = Accounts::new(
            base.store.clone(),
            base.clock.clone(),
            base.key.clone(),
            config.issuer.clone(),
        );
        let pool = token_pool(&config, &base, &accounts);
        let throttle = countersign_domain::throttle::Throttle::new(config.limits.clone());
        let verifier = open_verifier(&config, &base, &throttle);
        let push = open_push(&config, &base, &accounts, &verifier).await?;
        let messaging = open_messaging(&config, &base, &verifier)?;
        let signin = SignIn::new(
            base.store.clone(),
            verifier.clone(),
            push.push.clone(),
            messaging.codes.clone(),
            push.hub.clone(),
            config.signin_policy(),
        )
        .with_refusals(config.refusals.clone())
        .with_channels(config.channels())
        .with_remembered(people::remembered(&base));
        let (signin, rules) = open_rules(signin, &config, &base).await?;
        let signin = passkeys::turn_on(signin, &config, &base.store, &base.clock, &verifier);
        let directory = open_directory(&config)?;
        let portal = build_portal(
            &config,
            &base,
            &messaging,
            &verifier,
            directory.as_ref(),
            &throttle,
        )
        .with_pool(throttle.pool().clone());
        let welcome = build_welcome(&config, &base, &messaging, &push, &portal);
        let settings = open_settings(&config, &base, &verifier).await?;
        let portal_pages = countersign_web::portal::Pages::load(config.portal_templates.as_deref())
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let sessions = people::open_sessions(&config, &base, &settings);
        let sso = sso::open_sso(&config, &base, &sessions);
        Ok(App {
            sessions,
            sso,
            directory_metrics: Arc::new(crate::directory::DirectoryMetrics::new()),
            directory,
            portal,
            portal_pages: Arc::new(portal_pages),
            settings,
            rules,
            outbox: messaging.outbox,
            codes: messaging.codes,
            welcome,
            gateways: messaging.gateways,
            api_keys: api_keys(&base.store, &base.clock),
            oidc: sso::open_oidc(&config, &base),
            radius_clients: RadiusClients::new(base.store.clone(), base.clock.clone(), base.key),
            accounts,
            pool,
            throttle,
            verifier,
            signin,
            push: push.push,
            hub: push.hub,
            hearing: match base.store.backend() {
                "postgres" => countersign_domain::health::Hearing::needed(),
                _ => countersign_domain::health::Hearing::default(),
            },
            clock: base.clock,
            web_push: push.web_push,
            webpush_metrics: push.webpush_metrics,
            sql: base.sql,
            audit_streams: base.streams,
            voice_hooks: None,
            store: base.store,
            config,
        })
    }
}

/// Opens the store (migrating it) and the secret key, which must be the key
/// the store was sealed with.
async fn open_base(config: &Config) -> Result<Base> {
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
        acquire_timeout: std::time::Duration::from_secs(config.acquire_timeout_seconds),
        migrate: true,
    };
    let sql = countersign_store::open(&options).await?;
    // The streams hear of every audit record the store commits.
    let (sql, streams) = match crate::audit_stream::Streams::build(&config.audit)? {
        Some((streams, tap)) => (sql.with_audit_tap(tap), Some(streams)),
        None => (sql, None),
    };
    let store: Arc<dyn Store> = Arc::new(sql.clone());
    let key = secret_key::load_or_create(config)?;
    secret_key::check_against_store(&key, store.as_ref()).await?;
    Ok(Base {
        sql,
        streams,
        store,
        clock: Arc::new(SystemClock),
        key,
    })
}

/// Imported hardware tokens, matched with the same window as verification.
fn token_pool(
    config: &Config,
    base: &Base,
    accounts: &Accounts,
) -> countersign_domain::admin::pool::TokenPool {
    let policy = config.verify_policy();
    countersign_domain::admin::pool::TokenPool::new(
        base.store.clone(),
        base.clock.clone(),
        base.key.clone(),
        accounts.clone(),
        countersign_domain::signin::matching::Window {
            totp_steps: policy.totp_window,
            hotp_lookahead: policy.hotp_lookahead,
        },
    )
}

/// The push service; its requests reach the apps through the hub, and
/// through Web Push too when that is enabled.
async fn open_push(
    config: &Config,
    base: &Base,
    accounts: &Accounts,
    verifier: &Verifier,
) -> Result<PushParts> {
    let hub = Arc::new(Hub::new(base.store.clone()));
    let webpush_metrics = Arc::new(WebPushMetrics::default());
    let web_push = open_web_push(config, &base.store, &base.clock, &base.key).await?;
    let notifier: Arc<dyn PushNotifier> = match &web_push {
        Some(web_push) => Arc::new(WithWebPush {
            hub: hub.clone(),
            sender: Arc::new(Sender::new(web_push.clone(), webpush_metrics.clone())?),
        }),
        None => hub.clone(),
    };
    let push = Push::new(
        base.store.clone(),
        base.clock.clone(),
        base.key.clone(),
        config.push.clone(),
        accounts.clone(),
        verifier.clone(),
        notifier,
    );
    Ok(PushParts {
        hub,
        web_push,
        webpush_metrics,
        push,
    })
}

/// The email and SMS gateways, the message templates, the outbox and the
/// one-time codes sent through it.
use countersign_domain::methods::sends::SendGate;

fn open_messaging(config: &Config, base: &Base, verifier: &Verifier) -> Result<MessagingParts> {
    let gateways = Arc::new(Gateways::new(config)?);
    let templates = Templates::new(config.messaging.templates.as_deref())
        .map_err(|e| anyhow::anyhow!("email.templates: {e}"))?;
    let composer: Arc<dyn countersign_domain::ports::Composer> =
        Arc::new(TemplateComposer(templates));
    let outbox = Outbox::new(
        base.store.clone(),
        base.clock.clone(),
        base.key.clone(),
        gateways.clone(),
    );
    let mut code_policy = config.messaging.codes.clone();
    code_policy.account_name = config.push.account_name.clone();
    let codes = Codes::new(
        base.store.clone(),
        base.clock.clone(),
        base.key.clone(),
        outbox.clone(),
        composer.clone(),
        verifier.clone(),
        code_policy,
    );
    // One gate for every code sent (sign-in codes, two-way SMS, the
    // portal's contact codes), its counts in the store.
    let gate = SendGate::new(
        base.store.clone(),
        base.clock.clone(),
        config.messaging.sends.clone(),
    );
    let codes = codes.with_send_gate(gate);
    Ok(MessagingParts {
        gateways,
        composer,
        outbox,
        codes,
    })
}

/// The directory client, when `[directory] url` is set.
fn open_directory(config: &Config) -> Result<Option<countersign_directory::Directory>> {
    match &config.directory {
        Some(d) => Ok(Some(
            countersign_directory::Directory::new(d.settings.clone())
                .map_err(|e| anyhow::anyhow!("{e}"))?,
        )),
        None => Ok(None),
    }
}

/// The self-service portal; with a directory it checks passwords there.
fn build_portal(
    config: &Config,
    base: &Base,
    messaging: &MessagingParts,
    verifier: &Verifier,
    directory: Option<&countersign_directory::Directory>,
    throttle: &countersign_domain::throttle::Throttle,
) -> countersign_domain::portal::Portal {
    let portal = countersign_domain::portal::Portal::new(
        base.store.clone(),
        base.clock.clone(),
        base.key.clone(),
        messaging.outbox.clone(),
        messaging.composer.clone(),
        verifier.settings().clone(),
        config.portal.clone(),
    )
    .with_send_gate(messaging.codes.send_gate().clone());
    match directory {
        Some(directory) => portal.with_directory(Arc::new(crate::directory::DirectoryPasswords(
            directory.clone(),
            throttle.pool().clone(),
        ))),
        None => portal,
    }
}

/// The sign-in rules kept in the store, read once now.
async fn open_rules(
    signin: SignIn,
    config: &Config,
    base: &Base,
) -> Result<(SignIn, countersign_domain::rules::RulesService)> {
    let rules = countersign_domain::rules::RulesService::new(
        base.store.clone(),
        countersign_domain::rules::RulesHandle::default(),
        config.rules.clone(),
    );
    rules.refresh().await?;
    Ok((signin.with_rules(rules.handle().clone()), rules))
}

/// The settings kept in the store, read once now.
async fn open_settings(
    config: &Config,
    base: &Base,
    verifier: &Verifier,
) -> Result<countersign_domain::admin::settings::SettingsService> {
    let settings = countersign_domain::admin::settings::SettingsService::new(
        base.store.clone(),
        verifier.settings().clone(),
        config.stored_settings_defaults(),
    );
    settings.refresh().await?;
    Ok(settings)
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
        allowed_networks: config.web_push.allowed_networks.clone(),
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

/// The verifier of codes, checking PINs on the node's work pool.
fn open_verifier(
    config: &Config,
    base: &Base,
    throttle: &countersign_domain::throttle::Throttle,
) -> Verifier {
    Verifier::new(
        base.store.clone(),
        base.clock.clone(),
        base.key.clone(),
        config.verify_policy(),
    )
    .with_pool(throttle.pool().clone())
}
