//! Downloads of any size: audit records read page by page on a task of
//! their own and streamed as they are rendered. A cancelled download stops
//! the reading; a store that fails mid-way ends the body with an error, so
//! the client sees a broken download rather than a short file.

use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::{Body, Bytes};
use countersign_domain::admin::audit_trail::AuditTrail;
use countersign_domain::model::audit::{AuditQuery, AuditRecord};

/// Which way the pages go: the API's export walks forward by `after_seq`,
/// the console's newest first by `before_seq`.
#[derive(Clone, Copy)]
pub(crate) enum Walk {
    OldestFirst,
    NewestFirst,
}

/// The records `query` selects (its `limit` is the page size), `header`
/// first, each through `render`.
pub(crate) fn audit_records<F>(
    trail: AuditTrail,
    mut query: AuditQuery,
    walk: Walk,
    header: Option<&'static str>,
    render: F,
) -> Body
where
    F: Fn(i64, &AuditRecord) -> String + Send + 'static,
{
    let (sender, receiver) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    tokio::spawn(async move {
        if let Some(header) = header {
            if sender.send(Ok(Bytes::from(header))).await.is_err() {
                return;
            }
        }
        loop {
            let page = match trail.page(&query).await {
                Ok(page) => page,
                Err(e) => {
                    tracing::error!(error = %e, "audit export stopped: the store failed");
                    let _ = sender.send(Err(std::io::Error::other(e.to_string()))).await;
                    return;
                }
            };
            let chunk: String = page.iter().map(|(seq, r)| render(*seq, r)).collect();
            // The receiver is gone when the download was cancelled.
            if !chunk.is_empty() && sender.send(Ok(Bytes::from(chunk))).await.is_err() {
                return;
            }
            match (page.last(), walk) {
                (Some((seq, _)), Walk::OldestFirst) if page.len() as u32 == query.limit => {
                    query.after_seq = Some(*seq)
                }
                (Some((seq, _)), Walk::NewestFirst) if page.len() as u32 == query.limit => {
                    query.before_seq = Some(*seq)
                }
                _ => return,
            }
        }
    });
    Body::from_stream(Chunks(receiver))
}

struct Chunks(tokio::sync::mpsc::Receiver<Result<Bytes, std::io::Error>>);

impl futures_core::Stream for Chunks {
    type Item = Result<Bytes, std::io::Error>;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.0.poll_recv(cx)
    }
}
