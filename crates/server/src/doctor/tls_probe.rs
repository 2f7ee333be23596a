//! Talking TLS to a server as a client would: capture the chain it
//! serves, and find out which protocol versions it accepts. rustls cannot
//! speak TLS 1.0 or 1.1, so those are probed with a hand-made ClientHello.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::{DigitallySignedStruct, SignatureScheme, SupportedProtocolVersion};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const TIMEOUT: Duration = Duration::from_secs(10);

/// Accepts any certificate but keeps the chain: trust is judged separately.
#[derive(Debug)]
struct Recorder {
    provider: Arc<CryptoProvider>,
    chain: Mutex<Vec<CertificateDer<'static>>>,
}

impl ServerCertVerifier for Recorder {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if let Ok(mut chain) = self.chain.lock() {
            *chain = std::iter::once(end_entity)
                .chain(intermediates)
                .map(|c| c.clone().into_owned())
                .collect();
        }
        Ok(ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(m, c, d, &self.provider.signature_verification_algorithms)
    }
    fn verify_tls13_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(m, c, d, &self.provider.signature_verification_algorithms)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// Completes a handshake with only `version` offered; returns the served chain.
pub async fn handshake(
    host: &str,
    port: u16,
    version: &'static SupportedProtocolVersion,
) -> Result<Vec<CertificateDer<'static>>, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let recorder = Arc::new(Recorder {
        provider: provider.clone(),
        chain: Mutex::new(Vec::new()),
    });
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[version])
        .map_err(|e| e.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(recorder.clone())
        .with_no_client_auth();
    let name = ServerName::try_from(host.to_string()).map_err(|e| e.to_string())?;
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let attempt = async {
        let tcp = TcpStream::connect((host, port))
            .await
            .map_err(|e| format!("cannot connect to {host}:{port}: {e}"))?;
        connector
            .connect(name, tcp)
            .await
            .map_err(|e| format!("handshake failed: {e}"))
    };
    tokio::time::timeout(TIMEOUT, attempt)
        .await
        .map_err(|_| "no answer within 10 s".to_string())??;
    let chain = recorder.chain.lock().map(|c| c.clone()).unwrap_or_default();
    Ok(chain)
}

/// Whether the server answers a TLS 1.0 (0x0301) or 1.1 (0x0302) ClientHello with a ServerHello.
pub async fn legacy_accepted(host: &str, port: u16, version: u16) -> Result<bool, String> {
    let attempt = async {
        let mut tcp = TcpStream::connect((host, port))
            .await
            .map_err(|e| format!("cannot connect to {host}:{port}: {e}"))?;
        tcp.write_all(&legacy_client_hello(version, host))
            .await
            .map_err(|e| e.to_string())?;
        let mut head = [0u8; 11];
        match tcp.read_exact(&mut head).await {
            // Handshake record whose first message is a ServerHello (2) at that version.
            Ok(_) => Ok(head[0] == 0x16
                && head[5] == 0x02
                && u16::from_be_bytes([head[9], head[10]]) <= version),
            // An alert or a closed connection: refused.
            Err(_) => Ok(false),
        }
    };
    tokio::time::timeout(TIMEOUT, attempt)
        .await
        .map_err(|_| "no answer within 10 s".to_string())?
}

fn legacy_client_hello(version: u16, host: &str) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(&version.to_be_bytes());
    body.extend_from_slice(&[0x5a; 32]); // client random: any value works for a probe
    body.push(0); // no session id
    let suites: [u16; 6] = [0xc013, 0xc014, 0xc009, 0xc00a, 0x002f, 0x0035];
    body.extend_from_slice(&((suites.len() * 2) as u16).to_be_bytes());
    suites
        .iter()
        .for_each(|s| body.extend_from_slice(&s.to_be_bytes()));
    body.extend_from_slice(&[1, 0]); // null compression
    let extensions = legacy_extensions(host);
    body.extend_from_slice(&(extensions.len() as u16).to_be_bytes());
    body.extend_from_slice(&extensions);
    let mut handshake = vec![0x01];
    handshake.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    handshake.extend_from_slice(&body);
    let mut record = vec![0x16, 0x03, 0x01];
    record.extend_from_slice(&(handshake.len() as u16).to_be_bytes());
    record.extend_from_slice(&handshake);
    record
}

fn legacy_extensions(host: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let name = host.as_bytes();
    if host.parse::<std::net::IpAddr>().is_err() && name.len() < 250 {
        let mut sni = vec![0u8];
        sni.extend_from_slice(&(name.len() as u16).to_be_bytes());
        sni.extend_from_slice(name);
        push_extension(
            &mut out,
            0x0000,
            &[&((sni.len()) as u16).to_be_bytes()[..], &sni].concat(),
        );
    }
    push_extension(&mut out, 0x000a, &[0, 4, 0, 0x17, 0, 0x18]); // groups: P-256, P-384
    push_extension(&mut out, 0x000b, &[1, 0]); // uncompressed points
    out
}

fn push_extension(out: &mut Vec<u8>, typ: u16, data: &[u8]) {
    out.extend_from_slice(&typ.to_be_bytes());
    out.extend_from_slice(&(data.len() as u16).to_be_bytes());
    out.extend_from_slice(data);
}
