//! `GET /device/v1/events`: sign-in requests as server-sent events, the
//! pending ones first, with a keep-alive comment every 15 seconds.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_core::Stream;
use tokio::sync::mpsc;

use super::signed::Signed;
use crate::error::ApiError;
use crate::push_hub::event_json;
use crate::AppState;

pub async fn events(
    State(state): State<AppState>,
    signed: Signed,
) -> Result<impl axum::response::IntoResponse, ApiError> {
    // Subscribe first, then read what is pending: nothing falls in between.
    let live = state.hub.subscribe(&signed.device.id);
    let pending = state.push.pending_for(&signed.device).await?;
    let queued = pending
        .iter()
        .map(|t| Arc::from(event_json(t).to_string()))
        .collect();
    let stream = Requests { queued, live };
    Ok(Sse::new(stream).keep_alive(
        KeepAlive::new()
            .interval(Duration::from_secs(15))
            .text("keep-alive"),
    ))
}

pub struct Requests {
    queued: VecDeque<Arc<str>>,
    live: mpsc::Receiver<Arc<str>>,
}

impl Stream for Requests {
    type Item = Result<Event, Infallible>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if let Some(next) = self.queued.pop_front() {
            return Poll::Ready(Some(Ok(Event::default()
                .event("request")
                .data(next.as_ref()))));
        }
        self.live
            .poll_recv(cx)
            .map(|item| item.map(|data| Ok(Event::default().event("request").data(data.as_ref()))))
    }
}
