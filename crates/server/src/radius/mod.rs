//! The RADIUS listener: UDP, clients by address, duplicate detection,
//! Message-Authenticator required by default, every decision through the
//! sign-in engine.

mod dedup;
mod drops;
mod handler;
mod metrics;
mod passed;
mod registry;
mod upstream;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use countersign_domain::admin::radius_clients::RadiusClient;
use countersign_domain::{Clock, RadiusStore, SignIn};
use countersign_radius::{
    encode_response, verify_request_message_authenticator, Code, MessageAuth, Packet,
};
use tokio::net::UdpSocket;
use tokio::sync::Semaphore;

use crate::app::App;
use dedup::{Begin, Dedup};
pub use drops::{explain as explain_drop, Cause as DropCause};
use drops::{Cause, Drops};
use handler::Decision;
pub use metrics::RadiusMetrics;
use registry::Registry;

/// Requests decided at once; beyond this, datagrams are dropped and counted.
const MAX_IN_FLIGHT: usize = 4096;
const REFRESH: Duration = Duration::from_secs(5);

pub struct Context {
    signin: SignIn,
    store: Arc<dyn RadiusStore>,
    clock: Arc<dyn Clock>,
    registry: Registry,
    dedup: Dedup,
    metrics: Arc<RadiusMetrics>,
    socket: UdpSocket,
    challenge_seconds: i64,
    hold_seconds: u64,
    drops: Drops,
    /// Seals the MPPE keys a challenge row keeps.
    key: countersign_domain::crypto::SecretKey,
    /// Checks passwords for clients with `first_factor = "ldap"`.
    directory: Option<countersign_directory::Directory>,
    /// Bounds the directory binds (busy: no answer, the NAS retries).
    pool: countersign_domain::throttle::WorkPool,
}

/// Binds the listener and starts serving; returns its metrics for `/metrics`.
pub async fn start(app: &App, listen: &str) -> Result<Arc<RadiusMetrics>> {
    let socket = UdpSocket::bind(listen)
        .await
        .with_context(|| format!("cannot listen for RADIUS on {listen} (radius.listen): is another RADIUS server running?"))?;
    let registry = Registry::new(
        app.config.radius_clients.clone(),
        app.radius_clients.clone(),
    );
    registry.refresh().await;
    for client in registry
        .all()
        .iter()
        .filter(|c| !c.require_message_authenticator)
    {
        tracing::warn!(client = %client.name, "RADIUS client may send requests without Message-Authenticator: \
            it is open to BlastRADIUS (CVE-2024-3596); upgrade the equipment and turn require_message_authenticator back on");
    }
    for (client, upstream) in registry
        .all()
        .iter()
        .filter_map(|c| c.upstream.as_ref().map(|u| (c, u)))
        .filter(|(_, u)| !u.require_message_authenticator)
    {
        tracing::warn!(client = %client.name, upstream = %upstream.address, "answers of this upstream RADIUS server are accepted without Message-Authenticator: \
            they are open to BlastRADIUS (CVE-2024-3596); make the upstream add it and turn upstream_require_message_authenticator back on");
    }
    let metrics = Arc::new(RadiusMetrics::default());
    let key = crate::secret_key::load_or_create(&app.config)?;
    let ctx = Arc::new(Context {
        signin: app.signin.clone(),
        store: app.store.clone(),
        clock: app.clock.clone(),
        registry,
        dedup: Dedup::default(),
        metrics: metrics.clone(),
        socket,
        challenge_seconds: app.config.radius_challenge_seconds,
        hold_seconds: app.config.radius_hold_seconds,
        drops: Drops::new(app.sql.clone()),
        key,
        directory: app.directory.clone(),
        pool: app.throttle.pool().clone(),
    });
    tracing::info!(address = %ctx.socket.local_addr()?, clients = ctx.registry.all().len(), "RADIUS listening");
    tokio::spawn(housekeeping(ctx.clone()));
    tokio::spawn(receive_loop(ctx));
    Ok(metrics)
}

async fn housekeeping(ctx: Arc<Context>) {
    let mut tick = tokio::time::interval(REFRESH);
    loop {
        tick.tick().await;
        ctx.registry.refresh().await;
        ctx.dedup.purge();
        ctx.drops.flush(ctx.clock.now()).await;
    }
}

async fn receive_loop(ctx: Arc<Context>) {
    let permits = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
    let mut buffer = vec![0u8; 65_536];
    loop {
        let (len, peer) = match ctx.socket.recv_from(&mut buffer).await {
            Ok(received) => received,
            Err(e) => {
                tracing::warn!(error = %e, "RADIUS receive failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            ctx.metrics.dropped.add("overload");
            continue;
        };
        let datagram = buffer[..len].to_vec();
        let ctx = ctx.clone();
        tokio::spawn(async move {
            handle(&ctx, &datagram, peer).await;
            drop(permit);
        });
    }
}

async fn handle(ctx: &Context, datagram: &[u8], peer: SocketAddr) {
    let started = Instant::now();
    let Some(client) = ctx.registry.find(peer.ip()) else {
        ctx.metrics.dropped.add(Cause::UnknownClient.as_str());
        let now = ctx.clock.now();
        return ctx
            .drops
            .note(None, peer.ip(), Cause::UnknownClient, now)
            .await;
    };
    let request = match Packet::decode(datagram) {
        Ok(packet) => packet,
        Err(e) => {
            ctx.metrics.dropped.add("malformed");
            tracing::debug!(%peer, error = %e, "malformed RADIUS packet dropped");
            return;
        }
    };
    if request.code == Code::StatusServer {
        return answer_status_server(ctx, datagram, &client, &request, peer).await;
    }
    if request.code != Code::AccessRequest {
        ctx.metrics.received.add("other");
        ctx.metrics.dropped.add("unsupported_code");
        return;
    }
    ctx.metrics.received.add("access_request");
    if let Some(cause) = message_authenticator_problem(datagram, &client) {
        ctx.metrics.dropped.add(cause.as_str());
        let now = ctx.clock.now();
        return ctx
            .drops
            .note(Some(&client.name), peer.ip(), cause, now)
            .await;
    }
    let key = (peer, request.identifier, request.authenticator);
    match ctx.dedup.begin(key) {
        Begin::New => {}
        Begin::InFlight => return ctx.metrics.dropped.add("duplicate_in_flight"),
        Begin::Answered(bytes) => {
            ctx.metrics.duplicates_answered.add("cached");
            let _ = ctx.socket.send_to(&bytes, peer).await;
            return;
        }
    }
    match handler::decide(ctx, &client, &request, peer).await {
        Decision::Answer(code, attributes) => {
            match encode_response(code, &request, attributes, &client.secret) {
                Ok(bytes) => {
                    ctx.dedup.finish(key, bytes.clone());
                    // Counted before it leaves: a NAS that has the answer
                    // must find it counted (the thread may pause after the send).
                    ctx.metrics.sent.add(sent_label(code));
                    let _ = ctx.socket.send_to(&bytes, peer).await;
                    ctx.metrics.latency.record(started.elapsed());
                }
                Err(e) => {
                    ctx.dedup.abandon(key);
                    ctx.metrics.dropped.add("server_error");
                    tracing::error!(error = %e, "a RADIUS answer could not be encoded");
                }
            }
        }
        Decision::Drop(cause) => {
            ctx.dedup.abandon(key);
            ctx.metrics.dropped.add(cause);
        }
    }
}

fn message_authenticator_problem(datagram: &[u8], client: &RadiusClient) -> Option<Cause> {
    match verify_request_message_authenticator(datagram, &client.secret) {
        MessageAuth::Valid => None,
        MessageAuth::Missing if !client.require_message_authenticator => None,
        MessageAuth::Missing => Some(Cause::MissingMessageAuthenticator),
        MessageAuth::Invalid => Some(Cause::BadMessageAuthenticator),
    }
}

/// RFC 5997: a signed Status-Server gets an Access-Accept, so a proxy's
/// health check (FreeRADIUS `status_check = status-server`) sees us alive.
async fn answer_status_server(
    ctx: &Context,
    datagram: &[u8],
    client: &RadiusClient,
    request: &Packet,
    peer: SocketAddr,
) {
    ctx.metrics.received.add("other");
    let cause = match verify_request_message_authenticator(datagram, &client.secret) {
        MessageAuth::Valid => None,
        // RFC 5997: a Status-Server always carries one.
        MessageAuth::Missing => Some(Cause::MissingMessageAuthenticator),
        MessageAuth::Invalid => Some(Cause::BadMessageAuthenticator),
    };
    if let Some(cause) = cause {
        ctx.metrics.dropped.add(cause.as_str());
        let now = ctx.clock.now();
        return ctx
            .drops
            .note(Some(&client.name), peer.ip(), cause, now)
            .await;
    }
    if let Ok(bytes) = encode_response(Code::AccessAccept, request, Vec::new(), &client.secret) {
        ctx.metrics.sent.add("access_accept");
        let _ = ctx.socket.send_to(&bytes, peer).await;
    }
}

fn sent_label(code: Code) -> &'static str {
    match code {
        Code::AccessAccept => "access_accept",
        Code::AccessChallenge => "access_challenge",
        _ => "access_reject",
    }
}
