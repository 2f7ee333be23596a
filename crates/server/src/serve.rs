//! `countersign serve`: the HTTP(S) listener with graceful shutdown.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use axum::serve::ListenerExt;
use countersign_domain::metrics::MetricsSource;
use countersign_store::keys::KeyEvent;
use countersign_store::push_listener::Heard;
use tokio::net::TcpListener;

use crate::app::App;
use crate::config::Config;
use crate::{http, tls};

/// How often the certificate files are checked for changes.
const CERT_POLL: Duration = Duration::from_secs(10);

/// How often expired device nonces are removed.
const NONCE_CLEANING: Duration = Duration::from_secs(60);

/// How often the stored settings are read again (another node may have saved).
const SETTINGS_REFRESH: Duration = Duration::from_secs(5);

pub async fn run(mut app: App) -> Result<()> {
    refuse_exposed_plain_http(&app.config)?;
    // Before any door copies the engine: calls go through the telephone started here.
    let voice = crate::voice::start(&mut app).await?;
    let config = &app.config;
    let tcp = TcpListener::bind(&config.listen).await.with_context(|| {
        format!(
            "cannot listen on {} (http.listen / --listen): is another program using it?",
            config.listen
        )
    })?;
    let address = tcp.local_addr()?;
    let options = countersign_web::WebOptions {
        body_limit: config.body_limit,
    };
    let http_metrics = Arc::new(http::limits::HttpMetrics::default());
    let mut door_metrics: Vec<Arc<dyn MetricsSource>> = vec![
        app.outbox.metrics(),
        app.codes.send_gate().metrics(),
        http_metrics.clone(),
        app.webpush_metrics.clone(),
        app.directory_metrics.clone(),
        app.sso.metrics().clone(),
        Arc::new(app.hearing.clone()),
        Arc::new(app.throttle.clone()),
    ];
    if let Some(passkeys) = app.signin.passkeys() {
        door_metrics.push(passkeys.metrics().clone());
    }
    if let Some(voice) = voice {
        door_metrics.push(voice);
    }
    if let Some(listen) = &config.radius_listen {
        door_metrics.push(crate::radius::start(&app, listen).await?);
    }
    if let Some(ldap) = &config.ldap {
        door_metrics.push(crate::ldap::start(&app, ldap).await?);
    }
    if let Some(streams) = &app.audit_streams {
        streams.start(&app.sql, app.clock.clone());
        door_metrics.push(streams.clone());
    }
    crate::audit_retention::schedule(
        app.sql.clone(),
        app.clock.clone(),
        config.audit.retention_days,
    );
    listen_to_other_nodes(&app);
    listen_for_key_revocations(&app);
    run_outbox(&app);
    clean_nonces(&app);
    refresh_settings(&app);
    if let Some(directory) = &config.directory {
        crate::directory::Runner::new(&app, directory)
            .schedule(countersign_domain::model::ids::new_id("node"));
    }
    let state = app.web_state(door_metrics, served_pin(config));
    if let Some(listen) = &config.metrics_listen {
        http::metrics_listener::start(listen, state.clone()).await?;
    }
    let router = countersign_web::router(state.clone(), options);
    let served = http::Served::new(router, state, http_limits(config), http_metrics);
    let shutdown = shutdown_signal(app.hub.clone());
    match (&config.tls_cert, &config.tls_key) {
        (Some(cert), Some(key)) => {
            let resolver = Arc::new(tls::ReloadingResolver::new(cert.clone(), key.clone())?);
            tls::watch(resolver.clone(), CERT_POLL);
            let listener = tls::TlsListener::new(tcp, tls::server_config(resolver))?;
            announce(&app, "https", address);
            http::serve(listener, served, shutdown).await;
        }
        _ => {
            announce(&app, "http", address);
            http::serve(tcp.tap_io(no_delay), served, shutdown).await;
        }
    }
    app.sql.close().await;
    tracing::info!("countersign stopped");
    Ok(())
}

fn http_limits(config: &Config) -> http::limits::Limits {
    http::limits::Limits {
        header_read: Duration::from_secs(config.header_read_timeout_seconds),
        idle: Duration::from_secs(config.idle_timeout_seconds),
        body_idle: Duration::from_secs(config.body_idle_timeout_seconds),
        write_idle: Duration::from_secs(config.write_idle_timeout_seconds),
        per_address: config.max_connections_per_address,
    }
}

/// Events and answers are small writes: sent at once, not held for the
/// previous segment's acknowledgement (Nagle's algorithm).
pub fn no_delay(stream: &mut tokio::net::TcpStream) {
    if let Err(e) = stream.set_nodelay(true) {
        tracing::debug!(error = %e, "cannot set TCP_NODELAY");
    }
}

/// The key pin of the configured certificate, carried in activation QR codes.
pub fn served_pin(config: &Config) -> Option<String> {
    let chain = tls::read_chain(config.tls_cert.as_deref()?).ok()?;
    tls::spki_pin(chain.first()?)
}

/// Sends queued messages every second; on every node, as the store's
/// leases keep two nodes from sending one message twice.
fn run_outbox(app: &App) {
    let outbox = app.outbox.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            tick.tick().await;
            if let Err(e) = outbox.run_due(20).await {
                tracing::error!(error = %e, "the outbox could not run");
            }
        }
    });
}

/// Other nodes' settings changes reach this one within seconds; expired
/// sessions (console and portal) are swept now and then (they are refused anyway).
fn refresh_settings(app: &App) {
    let (settings, sessions) = (app.settings.clone(), app.sessions.clone());
    let rules = app.rules.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(SETTINGS_REFRESH);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        for round in 0u64.. {
            tick.tick().await;
            if let Err(e) = settings.refresh().await {
                tracing::warn!(error = %e, "cannot read the stored settings; keeping the last ones");
            }
            if let Err(e) = rules.refresh().await {
                tracing::warn!(error = %e, "cannot read the stored sign-in rules; keeping the last ones");
            }
            if round % 120 == 0 {
                if let Err(e) = sessions.sweep().await {
                    tracing::warn!(error = %e, "cannot remove expired sessions");
                }
            }
        }
    });
}

/// Removes the expired nonces of signed device requests once a minute
/// (signed requests themselves only insert theirs).
fn clean_nonces(app: &App) {
    let push = app.push.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(NONCE_CLEANING);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match push.clean_nonces().await {
                Ok(0) => {}
                Ok(removed) => tracing::debug!(removed, "expired device nonces removed"),
                Err(e) => tracing::warn!(error = %e, "cannot remove expired device nonces"),
            }
        }
    });
}

/// With PostgreSQL, pushes and their answers may be handled by different
/// nodes: each node listens for the others' notifications. While it does
/// not (the database restarted), the node is not ready; once it listens
/// again it catches up on what it may have missed.
fn listen_to_other_nodes(app: &App) {
    if app.store.backend() != "postgres" {
        return;
    }
    let (sender, mut receiver) = tokio::sync::mpsc::channel::<Heard>(1024);
    countersign_store::push_listener::spawn(app.config.database_url.clone(), sender);
    let (hub, hearing) = (app.hub.clone(), app.hearing.clone());
    tokio::spawn(async move {
        while let Some(heard) = receiver.recv().await {
            match heard {
                // Catch up first: a stream opened once the node says it is
                // ready again was opened while listening, and stays open.
                Heard::Listening => {
                    hub.catch_up();
                    hearing.set(true);
                }
                Heard::Interrupted => hearing.set(false),
                Heard::Notification(payload) => hub.on_remote(&payload).await,
            }
        }
    });
}

/// The API key cache answers only while this node hears every revocation.
fn listen_for_key_revocations(app: &App) {
    let Some(cache) = app.api_keys.cache().cloned() else {
        return;
    };
    let url = app.config.database_url.clone();
    countersign_store::keys::spawn_revocation_listener(url, move |event| {
        match event {
            KeyEvent::Listening => {
                tracing::info!("listening for API key revocations: verified keys are cached");
                cache.set_live(true);
            }
            KeyEvent::Revoked(prefix) => {
                tracing::info!(%prefix, "an API key was revoked: forgetting cached keys");
                cache.forget_all();
            }
            KeyEvent::Interrupted => cache.set_live(false),
        }
        true
    });
}

fn announce(app: &App, scheme: &str, address: SocketAddr) {
    tracing::info!(%address, database = app.store.backend(), version = env!("CARGO_PKG_VERSION"),
        "countersign listening on {scheme}://{address}");
}

/// Plain HTTP may only face the network through a TLS-terminating proxy:
/// codes and API keys would otherwise cross it in clear.
fn refuse_exposed_plain_http(config: &Config) -> Result<()> {
    let serves_tls = config.tls_cert.is_some() && config.tls_key.is_some();
    let address: SocketAddr = config.listen.parse().context("http.listen")?;
    if serves_tls || address.ip().is_loopback() || config.behind_proxy {
        return Ok(());
    }
    bail!(
        "refusing to serve plain HTTP on {address}: codes and API keys would cross the network unencrypted. \
         Either set tls.cert and tls.key (COUNTERSIGN_TLS_CERT, COUNTERSIGN_TLS_KEY) to serve HTTPS, \
         or, when a reverse proxy terminates TLS in front of Countersign, set http.behind_proxy = true \
         and http.trusted_proxies to the proxy's addresses (COUNTERSIGN_HTTP_BEHIND_PROXY, \
         COUNTERSIGN_HTTP_TRUSTED_PROXIES), or listen on 127.0.0.1"
    )
}

/// Resolves on SIGTERM or Ctrl-C; requests in flight are finished first.
async fn shutdown_signal(hub: Arc<countersign_web::push_hub::Hub>) {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = interrupt => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
    // Event streams never finish by themselves: end them so devices
    // reconnect to a live node at once.
    hub.close_streams();
}
