//! `GET /device/v1/events`: sign-in requests as server-sent events, the
//! pending ones first, with a keep-alive comment every 15 seconds.
//!
//! Served two ways with the same bytes: by this axum handler, and by the
//! server's lean path for connections whose first request opens a stream
//! ([`open_events`]), which keeps an idle stream far smaller than a hyper
//! connection does.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, Sse};
use countersign_domain::model::push::Device;
use futures_core::Stream;
use tokio::time::{Instant, Sleep};

use super::signed::{authenticate, Signed};
use super::DeviceState;
use crate::http::error::ApiError;
use crate::push_hub::{event_text, Subscription};
use crate::AppState;

/// A comment line at least this often keeps proxies and NATs from closing an idle stream.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

pub async fn events(
    State(state): State<DeviceState>,
    signed: Signed,
) -> Result<impl axum::response::IntoResponse, ApiError> {
    let requests = Requests::open(&state, &signed.device).await?;
    Ok(Sse::new(SseRequests(requests)))
}

/// Opens the event stream of a signed `GET /device/v1/events` from its
/// head alone (it has no body); the refusal is the API's error.
pub async fn open_events(
    state: &AppState,
    path_and_query: &str,
    headers: &HeaderMap,
) -> Result<Requests, ApiError> {
    let state: &DeviceState = state.as_ref();
    let device = authenticate(state, "GET", path_and_query, headers, b"").await?;
    Requests::open(state, &device).await
}

/// What a stream sends next.
pub enum Frame {
    Request(Arc<str>),
    KeepAlive,
}

impl Frame {
    /// The frame as server-sent-event text (what axum's `Sse` writes).
    pub fn to_sse(&self) -> String {
        match self {
            Frame::Request(data) => format!("event: request\ndata: {data}\n\n"),
            Frame::KeepAlive => ": keep-alive\n\n".to_string(),
        }
    }
}

/// The frames of one stream. Keep-alives are per stream and start at a
/// random point of the first 15 s: streams opened together (a node
/// restart) do not all write at the same instant ever after.
pub struct Requests {
    queued: VecDeque<Arc<str>>,
    live: Subscription,
    keep_alive: Pin<Box<Sleep>>,
}

impl Requests {
    async fn open(state: &DeviceState, device: &Device) -> Result<Self, ApiError> {
        // Subscribe first, then read what is pending: nothing falls in between.
        let live = state.hub.subscribe(&device.id);
        let pending = state.push.pending_for(device).await?;
        let queued = pending.iter().map(event_text).collect();
        let span = KEEP_ALIVE.as_millis() as u64;
        let first = Duration::from_millis(1_000 + live.spread() % (span - 1_000));
        Ok(Self {
            queued,
            live,
            keep_alive: Box::pin(tokio::time::sleep(first)),
        })
    }

    /// The next frame; `None` when the hub ends the stream (shutdown).
    pub fn poll_frame(&mut self, cx: &mut Context<'_>) -> Poll<Option<Frame>> {
        let next = match self.queued.pop_front() {
            Some(queued) => Poll::Ready(Some(queued)),
            None => self.live.poll_next(cx),
        };
        match next {
            Poll::Ready(Some(data)) => {
                // Any write keeps the stream alive: the next comment is due 15 s later.
                self.keep_alive.as_mut().reset(Instant::now() + KEEP_ALIVE);
                return Poll::Ready(Some(Frame::Request(data)));
            }
            Poll::Ready(None) => return Poll::Ready(None),
            Poll::Pending => {}
        }
        match self.keep_alive.as_mut().poll(cx) {
            Poll::Ready(()) => {
                self.keep_alive.as_mut().reset(Instant::now() + KEEP_ALIVE);
                Poll::Ready(Some(Frame::KeepAlive))
            }
            Poll::Pending => Poll::Pending,
        }
    }

    /// Waits for the next frame.
    pub async fn next_frame(&mut self) -> Option<Frame> {
        std::future::poll_fn(|cx| self.poll_frame(cx)).await
    }
}

/// [`Requests`] as axum's server-sent events.
struct SseRequests(Requests);

impl Stream for SseRequests {
    type Item = Result<Event, Infallible>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.0.poll_frame(cx).map(|frame| {
            frame.map(|frame| {
                Ok(match frame {
                    Frame::Request(data) => Event::default().event("request").data(data.as_ref()),
                    Frame::KeepAlive => Event::default().comment("keep-alive"),
                })
            })
        })
    }
}
