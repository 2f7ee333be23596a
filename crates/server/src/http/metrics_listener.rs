//! `/metrics` on its own listener (`metrics.listen`), e.g. an address only
//! the monitoring network reaches; the main listener then answers 404 there.

use anyhow::{Context, Result};
use countersign_web::AppState;
use tokio::net::TcpListener;

/// Binds `listen` and serves `/metrics` there until the process ends.
pub async fn start(listen: &str, state: AppState) -> Result<()> {
    let tcp = TcpListener::bind(listen).await.with_context(|| {
        format!("cannot listen on {listen} (metrics.listen): is another program using it?")
    })?;
    let address = tcp.local_addr()?;
    tracing::info!(%address, "metrics listening on http://{address}/metrics");
    let router = countersign_web::metrics_router(state);
    tokio::spawn(async move {
        if let Err(e) = axum::serve(tcp, router).await {
            tracing::error!(error = %e, "the metrics listener stopped");
        }
    });
    Ok(())
}
