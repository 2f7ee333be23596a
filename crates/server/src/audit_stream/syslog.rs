//! The syslog sink: a batch of messages to the collector over UDP, TCP or
//! TLS. Syslog over TCP has no acknowledgements, and a collector that stops
//! discards what it had not read yet, so each TCP or TLS batch is one
//! connection closed in order: the sender half-closes after the batch (TLS:
//! close_notify), and the collector's own close, which comes only after it
//! has read everything before our end of stream, is the receipt. A reset
//! instead means the batch was not all read: it is sent again.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, Context, Result};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};
use tokio::time::timeout;

use super::rfc5424::Frames;
use crate::config::audit::{SyslogConfig, Transport};

const CONNECT: Duration = Duration::from_secs(5);
const RECEIPT: Duration = Duration::from_secs(15);

pub struct SyslogSink {
    address: String,
    transport: Transport,
    tls: Option<(Arc<rustls::ClientConfig>, ServerName<'static>)>,
    udp: Option<UdpSocket>,
}

impl SyslogSink {
    pub fn new(config: &SyslogConfig) -> Result<Self> {
        let tls = match config.transport {
            Transport::Tls => Some((client_config(config)?, server_name(config)?)),
            _ => None,
        };
        Ok(Self {
            address: config.address.clone(),
            transport: config.transport,
            tls,
            udp: None,
        })
    }

    /// Sends the messages; Ok only when they are known to have arrived
    /// (UDP: handed to the network, which is all UDP can tell).
    pub async fn send(&mut self, frames: &Frames) -> Result<()> {
        match self.transport {
            Transport::Udp => self.send_udp(frames).await,
            Transport::Tcp => {
                let tcp = self.connect().await?;
                batch(tcp, &frames.bytes).await
            }
            Transport::Tls => {
                let tcp = self.connect().await?;
                let Some((config, name)) = &self.tls else {
                    return Err(anyhow!("TLS is not set up"));
                };
                let connector = tokio_rustls::TlsConnector::from(config.clone());
                let stream = timeout(CONNECT, connector.connect(name.clone(), tcp))
                    .await
                    .map_err(|_| anyhow!("the TLS handshake with {} timed out", self.address))?
                    .with_context(|| format!("the TLS handshake with {} failed", self.address))?;
                batch(stream, &frames.bytes).await
            }
        }
    }

    async fn connect(&self) -> Result<TcpStream> {
        timeout(CONNECT, TcpStream::connect(&self.address))
            .await
            .map_err(|_| anyhow!("connecting to {} timed out", self.address))?
            .with_context(|| format!("cannot connect to {}", self.address))
    }

    async fn send_udp(&mut self, frames: &Frames) -> Result<()> {
        if self.udp.is_none() {
            let bind = if self.address.starts_with('[') {
                "[::]:0"
            } else {
                "0.0.0.0:0"
            };
            let socket = UdpSocket::bind(bind)
                .await
                .context("cannot open a UDP socket")?;
            // Connected, so an ICMP "port unreachable" comes back as an error.
            socket
                .connect(&self.address)
                .await
                .with_context(|| format!("cannot reach {}", self.address))?;
            self.udp = Some(socket);
        }
        let Some(socket) = &self.udp else {
            return Err(anyhow!("no UDP socket"));
        };
        for message in &frames.messages {
            let Some(message) = frames.bytes.get(message.clone()) else {
                continue;
            };
            if let Err(e) = socket.send(message).await {
                self.udp = None;
                return Err(anyhow!("sending to {} failed: {e}", self.address));
            }
        }
        Ok(())
    }
}

/// Writes the framed batch, ends our side and waits for the collector's
/// close: the receipt (see the module's comment).
async fn batch<S: AsyncRead + AsyncWrite + Unpin>(mut stream: S, bytes: &[u8]) -> Result<()> {
    stream
        .write_all(bytes)
        .await
        .context("writing to the collector failed")?;
    stream.shutdown().await.context("ending the batch failed")?;
    let mut sink = [0u8; 512];
    let wait = async {
        loop {
            match stream.read(&mut sink).await {
                Ok(0) => return Ok(()),
                Ok(_) => continue,
                // A close without TLS close_notify still follows a full read.
                Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(()),
                Err(e) => {
                    return Err(anyhow!(
                        "the collector dropped the connection before reading the batch: {e}"
                    ))
                }
            }
        }
    };
    timeout(RECEIPT, wait).await.map_err(|_| {
        anyhow!("the collector did not close the batch's connection within {RECEIPT:?}")
    })?
}

fn client_config(config: &SyslogConfig) -> Result<Arc<rustls::ClientConfig>> {
    let mut roots = rustls::RootCertStore::empty();
    match &config.ca_file {
        Some(path) => {
            let shown = path.display();
            for cert in CertificateDer::pem_file_iter(path)
                .with_context(|| format!("audit.syslog.ca_file {shown}: cannot read it"))?
            {
                let cert = cert.with_context(|| {
                    format!("audit.syslog.ca_file {shown}: not PEM certificates")
                })?;
                roots.add(cert).with_context(|| {
                    format!("audit.syslog.ca_file {shown}: a certificate is not usable")
                })?;
            }
        }
        None => {
            for cert in rustls_native_certs::load_native_certs().certs {
                let _ = roots.add(cert);
            }
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

fn server_name(config: &SyslogConfig) -> Result<ServerName<'static>> {
    let host = match &config.server_name {
        Some(name) => name.clone(),
        None => config
            .address
            .rsplit_once(':')
            .map(|(h, _)| h.trim_matches(['[', ']']).to_string())
            .unwrap_or_default(),
    };
    ServerName::try_from(host.clone())
        .map_err(|_| anyhow!("audit.syslog: '{host}' is not a host name to check the collector's certificate against (set audit.syslog.server_name)"))
}
