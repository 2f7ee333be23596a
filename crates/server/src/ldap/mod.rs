//! The LDAP bind proxy, a door: applications that sign users in by LDAP
//! bind point at Countersign instead of the directory. A simple bind is
//! checked against the directory and then by the sign-in engine (a code
//! after the password, or the user's push held while answered); other
//! requests go to the directory on the user's own bound connection.
//! Clients are known by address (`[[ldap.clients]]`), each with its rules.

mod bind;
mod metrics;
mod session;
mod upstream;
mod wire;

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use countersign_domain::SignIn;
pub use metrics::LdapMetrics;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use crate::app::App;
use crate::config::{LdapClient, LdapConfig, LdapTls};
use crate::tls;

/// Warnings about a refused address: at most one a minute per address.
const WARN_EVERY: Duration = Duration::from_secs(60);
const CERT_POLL: Duration = Duration::from_secs(10);

pub struct Context {
    signin: SignIn,
    directory: Option<countersign_directory::Directory>,
    acceptor: tokio_rustls::TlsAcceptor,
    tls_mode: LdapTls,
    allow_plain: bool,
    hold_seconds: u64,
    idle_seconds: u64,
    metrics: Arc<LdapMetrics>,
    /// Bounds the directory binds (busy: LDAP result busy, at once).
    pool: countersign_domain::throttle::WorkPool,
}

/// Binds the listener and starts serving; returns its metrics for `/metrics`.
pub async fn start(app: &App, config: &LdapConfig) -> Result<Arc<LdapMetrics>> {
    let listener = TcpListener::bind(&config.listen).await.with_context(|| {
        format!(
            "cannot listen for LDAP on {} (ldap.listen): is a directory server or another proxy using it?",
            config.listen
        )
    })?;
    let resolver = Arc::new(
        tls::ReloadingResolver::new(config.cert.clone(), config.key.clone())
            .map_err(|e| anyhow::anyhow!("ldap.cert / ldap.key: {e}"))?,
    );
    tls::watch(resolver.clone(), CERT_POLL);
    let directory = app.directory.clone();
    let metrics = Arc::new(LdapMetrics::default());
    let ctx = Arc::new(Context {
        signin: app.signin.clone(),
        directory,
        acceptor: tokio_rustls::TlsAcceptor::from(tls::server_config(resolver)),
        tls_mode: config.tls,
        allow_plain: config.allow_plain,
        hold_seconds: config.hold_seconds,
        idle_seconds: config.idle_seconds,
        metrics: metrics.clone(),
        pool: app.throttle.pool().clone(),
    });
    if config.clients.is_empty() {
        tracing::warn!("the LDAP proxy has no [[ldap.clients]]: every connection is refused; list the applications' addresses");
    }
    let mode = match config.tls {
        LdapTls::Ldaps => "ldaps",
        LdapTls::StartTls => "starttls",
    };
    tracing::info!(address = %listener.local_addr()?, tls = mode, clients = config.clients.len(), "LDAP proxy listening");
    tokio::spawn(accept_loop(
        ctx,
        listener,
        config.clients.clone(),
        config.max_connections,
    ));
    Ok(metrics)
}

async fn accept_loop(
    ctx: Arc<Context>,
    listener: TcpListener,
    clients: Vec<LdapClient>,
    max_connections: usize,
) {
    let permits = Arc::new(Semaphore::new(max_connections));
    let warned = Mutex::new(HashMap::<IpAddr, Instant>::new());
    loop {
        let (tcp, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                tracing::warn!(error = %e, "LDAP accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Some(client) = find(&clients, peer) else {
            ctx.metrics.connections.add("unknown_client");
            if first_in_a_minute(&warned, peer.ip()) {
                tracing::warn!(peer = %peer.ip(), "LDAP connection from an address that is not an [[ldap.clients]] entry: closed; add the application's address to ldap.clients if it should bind here");
            }
            continue;
        };
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            ctx.metrics.connections.add("over_limit");
            if first_in_a_minute(&warned, peer.ip()) {
                tracing::warn!(peer = %peer, limit = max_connections, "LDAP connection refused: ldap.max_connections reached; raise it or find the client that keeps connections open");
            }
            continue;
        };
        ctx.metrics.connections.add("accepted");
        let ctx = ctx.clone();
        tokio::spawn(async move {
            ctx.metrics.open.fetch_add(1, Ordering::Relaxed);
            session::serve(ctx.clone(), tcp, peer, client).await;
            ctx.metrics.open.fetch_sub(1, Ordering::Relaxed);
            drop(permit);
        });
    }
}

/// The client whose address block holds the peer, the most specific first.
fn find(clients: &[LdapClient], peer: SocketAddr) -> Option<LdapClient> {
    let ip = countersign_domain::model::net::canonical(peer.ip());
    clients
        .iter()
        .filter(|c| c.net.contains(ip))
        .max_by_key(|c| c.net.prefix())
        .cloned()
}

/// Whether to log about `ip` now: once a minute per address, and the
/// memory of addresses bounded (a flood of sources forgets, not grows).
fn first_in_a_minute(warned: &Mutex<HashMap<IpAddr, Instant>>, ip: IpAddr) -> bool {
    const REMEMBERED: usize = 4096;
    let Ok(mut warned) = warned.lock() else {
        return false;
    };
    let now = Instant::now();
    if warned.len() >= REMEMBERED {
        warned.retain(|_, at| now.duration_since(*at) < WARN_EVERY);
        if warned.len() >= REMEMBERED {
            warned.clear();
        }
    }
    match warned.get(&ip) {
        Some(at) if now.duration_since(*at) < WARN_EVERY => false,
        _ => {
            warned.insert(ip, now);
            true
        }
    }
}
