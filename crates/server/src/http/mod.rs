//! The HTTP listener's connections, served with hyper's HTTP/1.1
//! connection builder (not `axum::serve`): device event streams opened by
//! a connection's first request take the lean path (`lean`), everything
//! else goes to the axum router. Graceful shutdown: stop accepting, let
//! requests in flight finish, end the streams. Every connection is held
//! to the listener's limits (`limits`).

mod lean;
pub mod limits;
pub mod metrics_listener;
mod rewind;
mod watched;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::ConnectInfo;
use axum::serve::Listener;
use axum::Router;
use countersign_web::proxy::PeerAddr;
use countersign_web::AppState;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::watch;
use tokio::time::Instant;
use tower_service::Service;

use limits::{Addresses, Admitted, HttpMetrics, Limits, Phase};
use rewind::Rewind;
use watched::{Deadlined, Tracked, Watched};

/// The largest buffer hyper grows for one connection (headers, body reads).
const MAX_BUF: usize = 64 * 1024;

/// What every connection is served with.
pub struct Served {
    router: Router,
    state: AppState,
    http1: http1::Builder,
    limits: Limits,
    addresses: Arc<Addresses>,
    metrics: Arc<HttpMetrics>,
}

impl Served {
    pub fn new(
        router: Router,
        state: AppState,
        limits: Limits,
        metrics: Arc<HttpMetrics>,
    ) -> Arc<Self> {
        let mut http1 = http1::Builder::new();
        http1.max_buf_size(MAX_BUF);
        // Deadlines are kept by `limits` (see there why not hyper's timer).
        http1.header_read_timeout(None);
        Arc::new(Self {
            router,
            state,
            http1,
            limits,
            addresses: Addresses::new(limits.per_address),
            metrics,
        })
    }
}

/// Accepts and serves connections until `shutdown` resolves, then waits
/// for every connection to finish.
pub async fn serve<L>(mut listener: L, served: Arc<Served>, shutdown: impl Future<Output = ()>)
where
    L: Listener<Addr = SocketAddr>,
{
    let (stop, stopping) = watch::channel(false);
    let (open, _) = watch::channel(());
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            (io, peer) = listener.accept() => {
                let Some(admitted) = served.addresses.admit(peer.ip()) else {
                    tokio::spawn(refuse(io, peer, served.clone()));
                    continue;
                };
                let connection = connection(io, peer, served.clone(), stopping.clone(), (open.subscribe(), admitted));
                tokio::spawn(connection);
            }
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    let _ = stop.send(true);
    tracing::debug!(
        connections = open.receiver_count(),
        "waiting for open connections"
    );
    open.closed().await;
}

async fn connection<I>(
    mut io: I,
    peer: SocketAddr,
    served: Arc<Served>,
    stopping: watch::Receiver<bool>,
    _open: (watch::Receiver<()>, Admitted),
) where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let accepted = Instant::now();
    let deadline = accepted + served.limits.header_read;
    match lean::first_request(&mut io, deadline).await {
        lean::First::Events(path, headers) => {
            lean::serve_events(io, &served.state, path, headers, stopping).await;
        }
        // Boxed: a hyper connection is large, and a lean stream's task
        // must not be sized for it.
        lean::First::Other(head) => {
            let phase = Phase::new(accepted);
            let io = Watched::new(Rewind::new(head, io), phase.clone());
            Box::pin(with_hyper(io, phase, peer, &served, stopping)).await;
        }
        lean::First::Gone if Instant::now() >= deadline => {
            served.metrics.closed.add(limits::Expiry::Header.label());
        }
        lean::First::Gone => {}
    }
}

/// Answers a connection over the per-address cap with 503 and closes it.
async fn refuse<I>(mut io: I, peer: SocketAddr, served: Arc<Served>)
where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    served.metrics.refused.add("per_address_limit");
    tracing::warn!(%peer, limit = served.limits.per_address,
        "refused a connection: this address is at http.max_connections_per_address");
    let answer = limits::refusal(served.limits.per_address);
    let _ = tokio::time::timeout(REFUSAL_TIME, async {
        io.write_all(&answer).await?;
        io.shutdown().await?;
        // Read what the client sent, so closing does not reset the answer away.
        let mut sink = [0u8; 1024];
        while io.read(&mut sink).await? > 0 {}
        Ok::<(), std::io::Error>(())
    })
    .await;
}

/// How long a refused connection may take to be told.
const REFUSAL_TIME: std::time::Duration = std::time::Duration::from_secs(2);

async fn with_hyper<I>(
    io: Watched<Rewind<I>>,
    phase: Arc<Phase>,
    peer: SocketAddr,
    served: &Served,
    mut stopping: watch::Receiver<bool>,
) where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let router = served.router.clone();
    let answering = phase.clone();
    let body_idle = served.limits.body_idle;
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        request.extensions_mut().insert(ConnectInfo(PeerAddr(peer)));
        answering.busy();
        let phase = answering.clone();
        let request = request.map(|body| Deadlined::wrap(body, phase.clone(), body_idle));
        let answer = router.clone().call(request);
        async move {
            let response = answer.await?;
            if is_event_stream(&response) {
                phase.streaming();
            }
            Ok::<_, std::convert::Infallible>(response.map(|body| Tracked::wrap(body, phase)))
        }
    });
    let connection = served.http1.serve_connection(TokioIo::new(io), service);
    tokio::pin!(connection);
    let limits = served.limits;
    let result = tokio::select! {
        result = connection.as_mut() => result,
        why = phase.expired(limits) => {
            served.metrics.closed.add(why.label());
            tracing::debug!(%peer, cause = why.label(), "connection closed");
            return;
        }
        () = stopped(&mut stopping) => {
            connection.as_mut().graceful_shutdown();
            tokio::select! {
                result = connection => result,
                _ = phase.expired(limits) => return,
            }
        }
    };
    // A body deadline ends the request with an error answer, after which
    // hyper closes the connection: it may finish before `expired` is polled.
    if let Some(why) = phase.closed_by() {
        served.metrics.closed.add(why.label());
        tracing::debug!(%peer, cause = why.label(), "connection closed");
    }
    if let Err(e) = result {
        tracing::trace!(%peer, error = %e, "connection ended with an error");
    }
}

/// Event streams (device events, Web Push's app) write when there is
/// something to say, to clients that may be slow: no write deadline.
fn is_event_stream(response: &axum::response::Response) -> bool {
    response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/event-stream"))
}

/// Resolves when the server starts stopping.
async fn stopped(stopping: &mut watch::Receiver<bool>) {
    // The guard `wait_for` returns must not live across an await (not Send).
    let _ = stopping.wait_for(|stopping| *stopping).await;
}
