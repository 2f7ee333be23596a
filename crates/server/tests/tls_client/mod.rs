//! A TLS client for the TLS, proxy and LDAP proxy tests: it accepts
//! whatever certificate is served (these tests look at what is served; the
//! doctor judges trust) and hands back the leaf, and one keep-alive HTTP/1.1
//! GET on an open connection. The certificates come from
//! `countersign_testkit::pki`.
//!
//! Each test file uses part of it, so unused items are expected.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::{DigitallySignedStruct, SignatureScheme};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

const IO_TIMEOUT: Duration = Duration::from_secs(10);

/// Accepts any certificate: these tests look at what is served, they do not
/// judge trust (the doctor does).
#[derive(Debug)]
struct AcceptAny(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAny {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// A TLS connection to 127.0.0.1:`port` (SNI `name`, ALPN http/1.1).
pub async fn tls_connect(port: u16, name: &str) -> Result<TlsStream<TcpStream>, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AcceptAny(provider)))
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let server_name = ServerName::try_from(name.to_string()).map_err(|e| e.to_string())?;
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let attempt = async {
        let tcp = TcpStream::connect(("127.0.0.1", port))
            .await
            .map_err(|e| format!("cannot connect to 127.0.0.1:{port}: {e}"))?;
        connector
            .connect(server_name, tcp)
            .await
            .map_err(|e| format!("TLS handshake with 127.0.0.1:{port} failed: {e}"))
    };
    tokio::time::timeout(IO_TIMEOUT, attempt)
        .await
        .map_err(|_| format!("no TLS handshake with 127.0.0.1:{port} within {IO_TIMEOUT:?}"))?
}

/// The leaf certificate a connection was served.
pub fn leaf_of(stream: &TlsStream<TcpStream>) -> CertificateDer<'static> {
    stream
        .get_ref()
        .1
        .peer_certificates()
        .and_then(|chain| chain.first())
        .expect("the server sent a certificate")
        .clone()
        .into_owned()
}

/// The leaf a new handshake with 127.0.0.1:`port` gets.
pub async fn served_leaf(port: u16, name: &str) -> CertificateDer<'static> {
    let stream = tls_connect(port, name)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    leaf_of(&stream)
}

/// One HTTP/1.1 keep-alive GET on an open connection: (status, body).
pub async fn http_get<S>(stream: &mut S, host: &str, path: &str) -> Result<(u16, String), String>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let request = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: keep-alive\r\n\r\n");
    let exchange = async {
        stream
            .write_all(request.as_bytes())
            .await
            .map_err(|e| format!("cannot send the request: {e}"))?;
        stream.flush().await.map_err(|e| e.to_string())?;
        read_response(stream).await
    };
    tokio::time::timeout(IO_TIMEOUT, exchange)
        .await
        .map_err(|_| format!("no HTTP answer to GET {path} within {IO_TIMEOUT:?}"))?
}

async fn read_response<S: AsyncRead + Unpin>(stream: &mut S) -> Result<(u16, String), String> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        let n = stream
            .read(&mut chunk)
            .await
            .map_err(|e| format!("the connection failed while reading the answer: {e}"))?;
        if n == 0 {
            return Err("the server closed the connection instead of answering".into());
        }
        buffer.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).to_string();
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("not an HTTP answer: {head}"))?;
    let length: usize = head
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())?
        })
        .ok_or_else(|| format!("the answer has no Content-Length: {head}"))?;
    let mut body = buffer[head_end..].to_vec();
    while body.len() < length {
        let n = stream
            .read(&mut chunk)
            .await
            .map_err(|e| format!("the connection failed while reading the body: {e}"))?;
        if n == 0 {
            return Err("the server closed the connection in the middle of the body".into());
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Ok((status, String::from_utf8_lossy(&body[..length]).to_string()))
}
