//! One side of a proxied connection: a TCP stream, in TLS or not yet,
//! read one whole LDAP message at a time (cut by `frame_len`, never more
//! than the limit buffered) and written whole.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Buf, BytesMut};
use countersign_ldap::{frame_len, FrameError};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::TlsStream;

/// A TCP stream before or after its TLS handshake (either end: the
/// client's connection to the proxy, or the proxy's to the directory).
pub enum Stream {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
    /// In place of a stream being moved into its TLS handshake.
    Closed,
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
            Stream::Closed => Poll::Ready(Ok(())),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
            Stream::Closed => Poll::Ready(Err(io::ErrorKind::NotConnected.into())),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
            Stream::Closed => Poll::Ready(Ok(())),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
            Stream::Closed => Poll::Ready(Ok(())),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum WireError {
    #[error("{0}")]
    Io(#[from] io::Error),
    #[error("{0}")]
    Frame(#[from] FrameError),
}

const SEND_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// A stream read message by message.
pub struct Wire {
    stream: Stream,
    buf: BytesMut,
    limit: usize,
}

impl Wire {
    pub fn new(stream: Stream, limit: usize) -> Wire {
        Wire {
            stream,
            buf: BytesMut::with_capacity(4096),
            limit,
        }
    }

    /// A wire with no stream (see [`Stream::Closed`]).
    pub fn closed() -> Wire {
        Wire::new(Stream::Closed, 0)
    }

    pub fn is_tls(&self) -> bool {
        matches!(self.stream, Stream::Tls(_))
    }

    /// Bytes received after the last whole message (a client must send
    /// nothing after StartTLS until it is answered).
    pub fn has_pending_bytes(&self) -> bool {
        !self.buf.is_empty()
    }

    /// The next whole message; `Ok(None)` when the peer closed between
    /// messages. Cancel-safe: bytes read so far stay in the buffer.
    pub async fn next(&mut self) -> Result<Option<Vec<u8>>, WireError> {
        loop {
            if let Some(len) = frame_len(&self.buf, self.limit)? {
                let frame = self.buf[..len].to_vec();
                self.buf.advance(len);
                return Ok(Some(frame));
            }
            if self.stream.read_buf(&mut self.buf).await? == 0 {
                return match self.buf.is_empty() {
                    true => Ok(None),
                    false => Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the connection closed in the middle of a message",
                    )
                    .into()),
                };
            }
        }
    }

    /// Writes a whole message; a peer that does not read it within
    /// [`SEND_TIMEOUT`] is treated as gone.
    pub async fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        let writing = async {
            self.stream.write_all(bytes).await?;
            self.stream.flush().await
        };
        match tokio::time::timeout(SEND_TIMEOUT, writing).await {
            Ok(done) => done,
            Err(_) => Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the peer did not read for 30 seconds",
            )),
        }
    }

    pub async fn close(mut self) {
        let _ = self.stream.shutdown().await;
    }

    pub fn into_stream(self) -> Stream {
        self.stream
    }
}
