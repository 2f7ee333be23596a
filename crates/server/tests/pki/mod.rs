//! Real certificate set-ups for the TLS, proxy and doctor tests: a root
//! CA, intermediates and leaves built with rcgen (names and validity chosen
//! by the test), written as PEM files; a TLS client that accepts whatever
//! is served and hands back the leaf; and `countersign serve` run as a
//! process until its banner shows, stopped on drop.
//!
//! Each test file uses part of it, so unused items are expected.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use countersign_testkit::TempDir;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose,
};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::{DigitallySignedStruct, SignatureScheme};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};
use time::OffsetDateTime;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

const IO_TIMEOUT: Duration = Duration::from_secs(10);

// ---------------------------------------------------------------- certificates

/// `n` days from now (negative: in the past).
pub fn days_from_now(n: i64) -> OffsetDateTime {
    OffsetDateTime::now_utc() + time::Duration::days(n)
}

/// A certificate authority: a root (self-signed) or an intermediate.
pub struct Ca {
    pub cert: rcgen::Certificate,
    pub key: KeyPair,
}

/// A server certificate and its private key.
pub struct Leaf {
    pub cert: rcgen::Certificate,
    pub key: KeyPair,
}

fn new_key() -> KeyPair {
    KeyPair::generate().expect("generate an ECDSA P-256 key")
}

fn ca_params(name: &str) -> CertificateParams {
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
    params.distinguished_name.remove(DnType::CommonName);
    params.distinguished_name.push(DnType::CommonName, name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params.not_before = days_from_now(-365);
    params.not_after = days_from_now(3650);
    params
}

fn leaf_params(
    sans: &[&str],
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
) -> CertificateParams {
    let names: Vec<String> = sans.iter().map(|s| s.to_string()).collect();
    let mut params = CertificateParams::new(names).expect("leaf parameters (SANs)");
    params.distinguished_name.remove(DnType::CommonName);
    params.distinguished_name.push(DnType::CommonName, sans[0]);
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.use_authority_key_identifier_extension = true;
    params.not_before = not_before;
    params.not_after = not_after;
    params
}

impl Ca {
    /// A self-signed root, valid from a year ago for ten years.
    pub fn root(name: &str) -> Ca {
        let key = new_key();
        let cert = ca_params(name).self_signed(&key).expect("sign the root");
        Ca { cert, key }
    }

    /// An intermediate CA issued by this one.
    pub fn intermediate(&self, name: &str) -> Ca {
        let key = new_key();
        let mut params = ca_params(name);
        params.use_authority_key_identifier_extension = true;
        let cert = params
            .signed_by(&key, &self.cert, &self.key)
            .expect("sign the intermediate");
        Ca { cert, key }
    }

    /// A server certificate for `sans`, valid from yesterday for a year.
    pub fn leaf(&self, sans: &[&str]) -> Leaf {
        self.leaf_valid(sans, days_from_now(-1), days_from_now(365))
    }

    /// A server certificate for `sans` with the given validity.
    pub fn leaf_valid(
        &self,
        sans: &[&str],
        not_before: OffsetDateTime,
        not_after: OffsetDateTime,
    ) -> Leaf {
        let key = new_key();
        let cert = leaf_params(sans, not_before, not_after)
            .signed_by(&key, &self.cert, &self.key)
            .expect("sign the leaf");
        Leaf { cert, key }
    }

    pub fn pem(&self) -> String {
        self.cert.pem()
    }
}

impl Leaf {
    /// A self-signed server certificate (no CA at all), valid for a year.
    pub fn self_signed(sans: &[&str]) -> Leaf {
        let key = new_key();
        let cert = leaf_params(sans, days_from_now(-1), days_from_now(365))
            .self_signed(&key)
            .expect("self-sign the leaf");
        Leaf { cert, key }
    }

    pub fn pem(&self) -> String {
        self.cert.pem()
    }

    pub fn key_pem(&self) -> String {
        self.key.serialize_pem()
    }

    pub fn der(&self) -> CertificateDer<'static> {
        self.cert.der().clone()
    }
}

/// Writes the PEM blocks `parts`, in order, to `dir/name`; returns the path.
pub fn write_pem(dir: &Path, name: &str, parts: &[String]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, parts.concat())
        .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    path
}

/// Replaces `path` with `contents` in one step (write aside, then rename),
/// as certificate renewal tools do.
pub fn replace_file(path: &Path, contents: &str) {
    let aside = path.with_extension("new");
    std::fs::write(&aside, contents)
        .unwrap_or_else(|e| panic!("cannot write {}: {e}", aside.display()));
    std::fs::rename(&aside, path)
        .unwrap_or_else(|e| panic!("cannot rename onto {}: {e}", path.display()));
}

/// Text for a `Path` in an environment variable.
pub fn text(path: &Path) -> String {
    path.display().to_string()
}

// ---------------------------------------------------------------- TLS client

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

// ---------------------------------------------------------------- serve process

/// `countersign serve` as a process, stopped (SIGTERM, then SIGKILL) on drop.
pub struct Serving {
    child: Child,
    logs: TempDir,
    pub port: u16,
}

impl Serving {
    /// Runs `make(port)` (a `Server::command()`, with settings that may name
    /// the port) with `serve --listen HOST:PORT` on a free port and waits for
    /// the banner `listening on SCHEME://HOST:PORT`. Retries when another
    /// program takes the port first.
    pub fn start(make: impl Fn(u16) -> Command, host: &str, scheme: &str) -> Serving {
        for _attempt in 0..5 {
            let port = free_port();
            let logs = TempDir::new("serve-log");
            let file = std::fs::File::create(logs.path().join("stderr.log"))
                .expect("create the serve log");
            let child = make(port)
                .args(["serve", "--listen", &format!("{host}:{port}")])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(file)
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start countersign serve: {e}"));
            let mut serving = Serving { child, logs, port };
            if serving.wait_banner(&format!("listening on {scheme}://{host}:{port}")) {
                return serving;
            }
        }
        panic!("countersign serve could not bind a free port in 5 attempts");
    }

    /// true when the banner shows; false when the port was taken (retry).
    fn wait_banner(&mut self, banner: &str) -> bool {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if self.stderr().contains(banner) {
                return true;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                let log = self.stderr();
                if log.contains("cannot listen") {
                    return false;
                }
                panic!("countersign serve exited ({status}) before '{banner}'; its stderr:\n{log}");
            }
            assert!(
                Instant::now() < deadline,
                "countersign serve did not print '{banner}' within 30 s; its stderr:\n{}",
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Everything the process wrote to standard error so far.
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(self.logs.path().join("stderr.log")).unwrap_or_default()
    }

    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Sends `signal` (e.g. "HUP") to the process with kill(1).
    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.pid().to_string())
            .status()
            .expect("run kill(1)");
        assert!(status.success(), "kill -{signal} {} failed", self.pid());
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        if let Ok(Some(_)) = self.child.try_wait() {
            return;
        }
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A free TCP port on 127.0.0.1 (small race: use it right away).
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("local address").port()
}

/// Polls `probe` every 50 ms until it is true or `timeout` passes.
pub fn wait_until(timeout: Duration, mut probe: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if probe() {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
