//! `countersign serve`: the HTTP listener with graceful shutdown.

use std::net::SocketAddr;

use anyhow::{Context, Result};
use tokio::net::TcpListener;

use crate::app::App;

pub async fn run(app: App) -> Result<()> {
    let listen = app.config.listen.clone();
    let listener = TcpListener::bind(&listen).await.with_context(|| {
        format!("cannot listen on {listen} (http.listen / --listen): is another program using it?")
    })?;
    let address = listener.local_addr()?;
    let options = countersign_web::WebOptions {
        body_limit: app.config.body_limit,
    };
    let router = countersign_web::router(app.web_state(), options);
    tracing::info!(%address, database = app.store.backend(), version = env!("CARGO_PKG_VERSION"), "countersign listening on http://{address}");
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
    .context("the HTTP server failed")?;
    app.sql.close().await;
    tracing::info!("countersign stopped");
    Ok(())
}

/// Resolves on SIGTERM or Ctrl-C; requests in flight are finished first.
async fn shutdown_signal() {
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
}
