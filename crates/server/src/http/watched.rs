//! A connection's I/O and answer bodies, watched for its [`Phase`]: bytes
//! arriving start a new request head, blocked writes start the write
//! deadline, and an answer's body dropped means the answer was written.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::Body;
use hyper::body::{Frame, SizeHint};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::limits::Phase;

/// A connection's I/O that tells its [`Phase`] when bytes arrive.
pub struct Watched<I> {
    io: I,
    phase: Arc<Phase>,
}

impl<I> Watched<I> {
    pub fn new(io: I, phase: Arc<Phase>) -> Self {
        Self { io, phase }
    }
}

impl<I: AsyncRead + Unpin> AsyncRead for Watched<I> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.io).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.phase.bytes_arrived();
        }
        polled
    }
}

impl<I: AsyncWrite + Unpin> AsyncWrite for Watched<I> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.io).poll_write(cx, buf);
        self.phase.write_blocked(polled.is_pending());
        polled
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.io).poll_write_vectored(cx, bufs);
        self.phase.write_blocked(polled.is_pending());
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

/// A response body that marks its connection idle once it is written
/// (hyper drops a body when its last frame is taken).
pub struct Tracked {
    body: Body,
    phase: Arc<Phase>,
}

impl Tracked {
    pub fn wrap(body: Body, phase: Arc<Phase>) -> Body {
        Body::new(Tracked { body, phase })
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.phase.idle();
    }
}

impl hyper::body::Body for Tracked {
    type Data = axum::body::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// A request body whose reader gives up when no bytes come for
/// `Limits::body_idle` while the handler waits for them, and closes the
/// connection: a client that sends a head and then trickles (or stops)
/// its body must not hold a connection and a handler. Time the handler
/// spends elsewhere does not count.
pub struct Deadlined {
    body: hyper::body::Incoming,
    phase: Arc<Phase>,
    idle: std::time::Duration,
    waiting: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl Deadlined {
    pub fn wrap(body: hyper::body::Incoming, phase: Arc<Phase>, idle: std::time::Duration) -> Body {
        Body::new(Deadlined {
            body,
            phase,
            idle,
            waiting: None,
        })
    }
}

impl hyper::body::Body for Deadlined {
    type Data = axum::body::Bytes;
    type Error = axum::BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = &mut *self;
        if let Poll::Ready(frame) = Pin::new(&mut this.body).poll_frame(cx) {
            this.waiting = None;
            return Poll::Ready(frame.map(|f| f.map_err(Into::into)));
        }
        let idle = this.idle;
        let waiting = this
            .waiting
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(idle)));
        if waiting.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        this.phase.expire(super::limits::Expiry::Body);
        Poll::Ready(Some(Err(format!(
            "no bytes of the request body for {} s (http.body_idle_timeout_seconds)",
            idle.as_secs()
        )
        .into())))
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}
