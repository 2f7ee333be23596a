//! TLS to the directory: TLS 1.2+, trusting `directory.ca_file` when given
//! (else the system's roots). A `ca_file` may also hold the directory's own
//! self-signed certificate: rustls refuses a trust anchor presented as the
//! server's certificate ("CaUsedAsEndEntity"), so a certificate that is
//! byte for byte one of `ca_file`'s is accepted as a pin. Handshake
//! signatures are still checked against it.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};

use crate::error::DirError;
use crate::settings::DirectorySettings;

/// The TLS set-up, and whether a server was trusted by its pinned certificate.
pub struct DirectoryTls {
    pub config: Arc<rustls::ClientConfig>,
    pub pinned_used: Arc<AtomicBool>,
}

/// What to tell an operator whose directory's certificate was refused.
pub fn advice(settings: &DirectorySettings) -> String {
    match &settings.ca_file {
        None => "set directory.ca_file to the CA certificate that issued the directory's \
                 certificate (or to the directory's own certificate if it is self-signed)"
            .to_string(),
        Some(path) => format!(
            "directory.ca_file ({}) does not vouch for the certificate the directory presented: \
             put in it the CA that issued that certificate, or the certificate itself if it is \
             self-signed, and check that the host in directory.url is one of its names",
            path.display()
        ),
    }
}

pub fn tls_config(settings: &DirectorySettings) -> Result<DirectoryTls, DirError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| DirError::Tls(e.to_string()))?;
    let pinned_used = Arc::new(AtomicBool::new(false));
    let config = match &settings.ca_file {
        Some(path) => {
            let certificates = read_pem(path)?;
            let mut roots = rustls::RootCertStore::empty();
            for cert in &certificates {
                roots.add(cert.clone()).map_err(|e| {
                    DirError::Tls(format!("directory.ca_file {}: {e}", path.display()))
                })?;
            }
            let chained = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .map_err(|e| DirError::Tls(format!("directory.ca_file {}: {e}", path.display())))?;
            let verifier = PinOrChain {
                chained,
                pinned: certificates,
                used: pinned_used.clone(),
            };
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(verifier))
                .with_no_client_auth()
        }
        None => {
            let mut roots = rustls::RootCertStore::empty();
            for cert in rustls_native_certs::load_native_certs().certs {
                let _ = roots.add(cert);
            }
            builder.with_root_certificates(roots).with_no_client_auth()
        }
    };
    Ok(DirectoryTls {
        config: Arc::new(config),
        pinned_used,
    })
}

fn read_pem(path: &Path) -> Result<Vec<CertificateDer<'static>>, DirError> {
    let bad = |e: &dyn std::fmt::Display| {
        DirError::Tls(format!("directory.ca_file {}: {e}", path.display()))
    };
    let mut certificates = Vec::new();
    for cert in CertificateDer::pem_file_iter(path).map_err(|e| bad(&e))? {
        certificates.push(cert.map_err(|e| bad(&e))?);
    }
    if certificates.is_empty() {
        return Err(bad(&"no PEM certificate in it"));
    }
    Ok(certificates)
}

/// The usual chain check; when it fails, a server certificate that is
/// exactly one of `ca_file`'s is trusted as a pin.
#[derive(Debug)]
struct PinOrChain {
    chained: Arc<WebPkiServerVerifier>,
    pinned: Vec<CertificateDer<'static>>,
    used: Arc<AtomicBool>,
}

impl ServerCertVerifier for PinOrChain {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let checked = self.chained.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        );
        match checked {
            Ok(verified) => Ok(verified),
            Err(e)
                if self
                    .pinned
                    .iter()
                    .any(|p| p.as_ref() == end_entity.as_ref()) =>
            {
                tracing::debug!(error = %e, "the directory's certificate is trusted as pinned in directory.ca_file");
                self.used.store(true, Ordering::Relaxed);
                Ok(ServerCertVerified::assertion())
            }
            Err(e) => Err(e),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.chained.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.chained.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.chained.supported_verify_schemes()
    }
}
