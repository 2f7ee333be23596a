//! One application's connection: binds decided here (through the engine),
//! StartTLS answered here, everything else passed to the directory on the
//! connection bound as the user, and the directory's answers passed back
//! as they came (message ids unchanged: one directory connection per
//! client connection).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use countersign_ldap::{
    bind_response, classify, decode, extended_response, notice_of_disconnection, Request,
    ResultCode,
};
use tokio::net::TcpStream;

use super::bind::{bind, Bound};
use super::upstream;
use super::wire::{Stream, Wire};
use super::Context;
use crate::config::{LdapClient, LdapTls};

/// A client request is a bind or a search, not a bulk upload.
pub const CLIENT_LIMIT: usize = 1024 * 1024;
const HANDSHAKE: Duration = Duration::from_secs(10);

/// Why a session ended, for the log.
enum End {
    Closed,
    Unbind,
    Idle,
    Malformed(String),
    /// The TLS handshake after StartTLS failed.
    Handshake(String),
    Upstream(String),
}

pub async fn serve(ctx: Arc<Context>, tcp: TcpStream, peer: SocketAddr, client: LdapClient) {
    let _ = tcp.set_nodelay(true);
    let started = Instant::now();
    let wire = Wire::new(Stream::Plain(tcp), CLIENT_LIMIT);
    let wire = match ctx.tls_mode {
        LdapTls::Ldaps => match accept_tls(&ctx, wire).await {
            Ok(wire) => wire,
            Err(why) => {
                tracing::info!(peer = %peer, client = %client.name, why = %why, "LDAPS handshake failed");
                return;
            }
        },
        LdapTls::StartTls => wire,
    };
    let mut session = Session {
        ctx: ctx.clone(),
        client,
        peer,
        wire,
        upstream: None,
    };
    let end = session.run().await;
    let (client, wire, upstream) = (session.client, session.wire, session.upstream);
    match &end {
        End::Malformed(why) => {
            ctx.metrics.malformed.add("client");
            tracing::info!(peer = %peer, client = %client.name, why = %why, "LDAP connection closed: malformed message");
        }
        End::Upstream(why) => {
            tracing::info!(peer = %peer, client = %client.name, why = %why, "LDAP connection closed: the directory connection ended")
        }
        End::Handshake(why) => {
            tracing::info!(peer = %peer, client = %client.name, why = %why, "StartTLS handshake failed")
        }
        End::Idle | End::Closed | End::Unbind => {
            tracing::debug!(peer = %peer, client = %client.name, seconds = started.elapsed().as_secs(), "LDAP connection ended")
        }
    }
    let mut wire = wire;
    if let Some(notice) = notice(&end) {
        let _ = wire.send(&notice).await;
    }
    wire.close().await;
    if let Some(upstream) = upstream {
        upstream.close().await;
    }
}

/// The notice of disconnection the client gets when the proxy hangs up.
fn notice(end: &End) -> Option<Vec<u8>> {
    match end {
        End::Malformed(why) => Some(notice_of_disconnection(
            ResultCode::ProtocolError,
            &format!("malformed LDAP message: {why}"),
        )),
        End::Upstream(_) => Some(notice_of_disconnection(
            ResultCode::Unavailable,
            "the directory closed its connection",
        )),
        End::Idle => Some(notice_of_disconnection(
            ResultCode::Unavailable,
            "idle too long (ldap.idle_minutes)",
        )),
        End::Closed | End::Unbind | End::Handshake(_) => None,
    }
}

async fn accept_tls(ctx: &Context, wire: Wire) -> Result<Wire, String> {
    let Stream::Plain(tcp) = wire.into_stream() else {
        return Err("TLS is already on".into());
    };
    let accepting = ctx.acceptor.accept(tcp);
    let stream = tokio::time::timeout(HANDSHAKE, accepting)
        .await
        .map_err(|_| "no TLS handshake within 10 seconds".to_string())?
        .map_err(|e| e.to_string())?;
    Ok(Wire::new(
        Stream::Tls(Box::new(tokio_rustls::TlsStream::Server(stream))),
        CLIENT_LIMIT,
    ))
}

struct Session {
    ctx: Arc<Context>,
    client: LdapClient,
    peer: SocketAddr,
    wire: Wire,
    /// The directory connection: anonymous until a bind succeeds, then
    /// bound as the user; opened when first needed.
    upstream: Option<Wire>,
}

impl Session {
    async fn run(&mut self) -> End {
        let idle = Duration::from_secs(self.ctx.idle_seconds);
        loop {
            let event = tokio::select! {
                from_client = tokio::time::timeout(idle, self.wire.next()) => match from_client {
                    Err(_) => return End::Idle,
                    Ok(Err(e)) => return End::Malformed(e.to_string()),
                    Ok(Ok(None)) => return End::Closed,
                    Ok(Ok(Some(frame))) => Event::Client(frame),
                },
                from_directory = next_of(&mut self.upstream) => match from_directory {
                    Err(e) => return End::Upstream(e),
                    Ok(None) => return End::Upstream("closed".into()),
                    Ok(Some(frame)) => Event::Directory(frame),
                },
            };
            let outcome = match event {
                Event::Client(frame) => self.request(frame).await,
                Event::Directory(frame) => self.wire.send(&frame).await.map_err(|_| End::Closed),
            };
            if let Err(end) = outcome {
                return end;
            }
        }
    }

    async fn request(&mut self, frame: Vec<u8>) -> Result<(), End> {
        let message = decode(&frame).map_err(|e| End::Malformed(e.to_string()))?;
        if message.msgid <= 0 {
            // Message id 0 is the server's, for unsolicited notifications.
            return Err(End::Malformed(format!(
                "message id {} in a request",
                message.msgid
            )));
        }
        match classify(message) {
            Request::SimpleBind {
                msgid,
                name,
                password,
            } => self.simple_bind(msgid, &name, &password).await,
            Request::UnsupportedBind {
                msgid,
                code,
                message,
            } => {
                // A bind, even a failed one, leaves the connection anonymous.
                self.drop_upstream().await;
                self.reply(&bind_response(msgid, code, message)).await
            }
            Request::StartTls { msgid } => self.start_tls(msgid).await,
            Request::Unbind => {
                if let Some(upstream) = self.upstream.as_mut() {
                    let _ = upstream.send(&frame).await;
                }
                Err(End::Unbind)
            }
            Request::Other { .. } => self.forward(&frame).await,
            Request::NotARequest { .. } => {
                Err(End::Malformed("a response is not a request".into()))
            }
        }
    }

    async fn simple_bind(&mut self, msgid: i32, name: &str, password: &str) -> Result<(), End> {
        self.drop_upstream().await;
        if name.is_empty() && password.is_empty() {
            // Anonymous again: the next request opens an anonymous directory connection.
            return self
                .reply(&bind_response(msgid, ResultCode::Success, ""))
                .await;
        }
        if !self.wire.is_tls() && !self.ctx.allow_plain {
            let words = "send StartTLS before a simple bind: passwords do not cross the network in the clear";
            return self
                .reply(&bind_response(
                    msgid,
                    ResultCode::ConfidentialityRequired,
                    words,
                ))
                .await;
        }
        if password.is_empty() {
            // RFC 4513 §5.1.2: a name without a password is an unauthenticated bind.
            let words = "a bind needs a password (unauthenticated binds are refused)";
            return self
                .reply(&bind_response(msgid, ResultCode::UnwillingToPerform, words))
                .await;
        }
        let started = Instant::now();
        let outcome = bind(&self.ctx, &self.client, self.peer, msgid, name, password).await;
        self.ctx.metrics.bind_duration.record(started.elapsed());
        match outcome {
            Bound::Yes(upstream) => {
                self.ctx.metrics.binds.add("accepted");
                tracing::info!(peer = %self.peer, client = %self.client.name, name = ?shown(name), "LDAP bind accepted");
                self.upstream = Some(upstream);
                self.reply(&bind_response(msgid, ResultCode::Success, ""))
                    .await
            }
            Bound::No(code, words) => {
                let label = match code {
                    ResultCode::Unavailable => "unavailable",
                    _ => "rejected",
                };
                self.ctx.metrics.binds.add(label);
                tracing::info!(peer = %self.peer, client = %self.client.name, name = ?shown(name), result = %words, "LDAP bind refused");
                self.reply(&bind_response(msgid, code, &words)).await
            }
        }
    }

    async fn start_tls(&mut self, msgid: i32) -> Result<(), End> {
        if self.wire.is_tls() {
            let words = "TLS is already on for this connection";
            return self
                .reply(&extended_response(
                    msgid,
                    ResultCode::OperationsError,
                    words,
                ))
                .await;
        }
        if self.wire.has_pending_bytes() {
            return Err(End::Malformed(
                "requests sent after StartTLS before its answer".into(),
            ));
        }
        self.reply(&extended_response(msgid, ResultCode::Success, ""))
            .await?;
        let plain = std::mem::replace(&mut self.wire, Wire::closed());
        self.wire = accept_tls(&self.ctx, plain).await.map_err(End::Handshake)?;
        Ok(())
    }

    /// Passes a request to the directory as it came.
    async fn forward(&mut self, frame: &[u8]) -> Result<(), End> {
        if self.upstream.is_none() {
            let Some(directory) = &self.ctx.directory else {
                return Err(End::Upstream("no directory is configured".into()));
            };
            self.upstream = Some(upstream::connect(directory).await.map_err(End::Upstream)?);
        }
        let Some(upstream) = self.upstream.as_mut() else {
            return Err(End::Upstream("no connection".into()));
        };
        upstream
            .send(frame)
            .await
            .map_err(|e| End::Upstream(e.to_string()))
    }

    async fn drop_upstream(&mut self) {
        if let Some(upstream) = self.upstream.take() {
            upstream.close().await;
        }
    }

    async fn reply(&mut self, bytes: &[u8]) -> Result<(), End> {
        self.wire.send(bytes).await.map_err(|_| End::Closed)
    }
}

/// A bind name for the log: at most 256 characters (Debug-escaped by the caller).
fn shown(name: &str) -> &str {
    match name.char_indices().nth(256) {
        Some((at, _)) => &name[..at],
        None => name,
    }
}

enum Event {
    Client(Vec<u8>),
    Directory(Vec<u8>),
}

/// The directory's next message, or never while there is no connection.
async fn next_of(upstream: &mut Option<Wire>) -> Result<Option<Vec<u8>>, String> {
    match upstream {
        Some(wire) => wire.next().await.map_err(|e| e.to_string()),
        None => std::future::pending().await,
    }
}
