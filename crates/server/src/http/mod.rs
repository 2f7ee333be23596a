//! The HTTP listener's connections, served with hyper's HTTP/1.1
//! connection builder (not `axum::serve`): device event streams opened by
//! a connection's first request take the lean path (`lean`), everything
//! else goes to the axum router. Graceful shutdown: stop accepting, let
//! requests in flight finish, end the streams.

mod lean;
mod rewind;

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
use tokio::sync::watch;
use tower_service::Service;

use rewind::Rewind;

/// The largest buffer hyper grows for one connection (headers, body reads).
const MAX_BUF: usize = 64 * 1024;

/// What every connection is served with.
pub struct Served {
    router: Router,
    state: AppState,
    http1: http1::Builder,
}

impl Served {
    pub fn new(router: Router, state: AppState) -> Arc<Self> {
        let mut http1 = http1::Builder::new();
        http1.max_buf_size(MAX_BUF);
        Arc::new(Self {
            router,
            state,
            http1,
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
                let connection = connection(io, peer, served.clone(), stopping.clone(), open.subscribe());
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
    _open: watch::Receiver<()>,
) where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    match lean::first_request(&mut io).await {
        lean::First::Events(path, headers) => {
            lean::serve_events(io, &served.state, path, headers, stopping).await;
        }
        // Boxed: a hyper connection is large, and a lean stream's task
        // must not be sized for it.
        lean::First::Other(head) => {
            Box::pin(with_hyper(Rewind::new(head, io), peer, &served, stopping)).await;
        }
        lean::First::Gone => {}
    }
}

async fn with_hyper<I>(
    io: Rewind<I>,
    peer: SocketAddr,
    served: &Served,
    mut stopping: watch::Receiver<bool>,
) where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let router = served.router.clone();
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        request.extensions_mut().insert(ConnectInfo(PeerAddr(peer)));
        router.clone().call(request)
    });
    let connection = served.http1.serve_connection(TokioIo::new(io), service);
    tokio::pin!(connection);
    let result = tokio::select! {
        result = connection.as_mut() => result,
        () = stopped(&mut stopping) => {
            connection.as_mut().graceful_shutdown();
            connection.await
        }
    };
    if let Err(e) = result {
        tracing::trace!(%peer, error = %e, "connection ended with an error");
    }
}

/// Resolves when the server starts stopping.
async fn stopped(stopping: &mut watch::Receiver<bool>) {
    // The guard `wait_for` returns must not live across an await (not Send).
    let _ = stopping.wait_for(|stopping| *stopping).await;
}
