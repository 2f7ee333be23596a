//! TLS for the listener: rustls with TLS 1.2 and 1.3 only, a certificate
//! that can be replaced while running, and the key pin devices trust.

mod listener;
mod reload;

use std::path::Path;
use std::sync::Arc;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use rustls::sign::CertifiedKey;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use sha2::{Digest, Sha256};

pub use listener::TlsListener;
pub use reload::{watch, ReloadingResolver};

/// What can be wrong with the certificate and key files.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read {path}: {reason}")]
    Read { path: String, reason: String },
    #[error("{path} holds no PEM certificate (expected -----BEGIN CERTIFICATE-----)")]
    NoCertificate { path: String },
    #[error(
        "{path} holds no private key (expected PKCS#8 -----BEGIN PRIVATE KEY-----, RSA or EC)"
    )]
    NoKey { path: String },
    #[error("the private key in {path} is not usable: {reason}")]
    BadKey { path: String, reason: String },
    #[error(
        "the private key does not belong to the certificate (tls.key does not match tls.cert)"
    )]
    KeyMismatch,
}

/// The certificate chain in a PEM file, leaf first.
pub fn read_chain(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let shown = path.display().to_string();
    let iter = CertificateDer::pem_file_iter(path).map_err(|e| TlsError::Read {
        path: shown.clone(),
        reason: e.to_string(),
    })?;
    let chain: Vec<_> = iter.collect::<Result<_, _>>().map_err(|e| TlsError::Read {
        path: shown.clone(),
        reason: e.to_string(),
    })?;
    if chain.is_empty() {
        return Err(TlsError::NoCertificate { path: shown });
    }
    Ok(chain)
}

/// Loads and checks a chain and its key, ready to serve.
pub fn load_certified_key(cert: &Path, key: &Path) -> Result<CertifiedKey, TlsError> {
    let chain = read_chain(cert)?;
    let shown = key.display().to_string();
    let der = PrivateKeyDer::from_pem_file(key).map_err(|e| match e {
        rustls_pki_types::pem::Error::NoItemsFound => TlsError::NoKey {
            path: shown.clone(),
        },
        other => TlsError::Read {
            path: shown.clone(),
            reason: other.to_string(),
        },
    })?;
    let signing =
        rustls::crypto::ring::sign::any_supported_type(&der).map_err(|e| TlsError::BadKey {
            path: shown,
            reason: e.to_string(),
        })?;
    let certified = CertifiedKey::new(chain, signing);
    certified.keys_match().map_err(|_| TlsError::KeyMismatch)?;
    Ok(certified)
}

/// The rustls server configuration: TLS 1.3 and 1.2, nothing older.
pub fn server_config(resolver: Arc<ReloadingResolver>) -> Arc<rustls::ServerConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .unwrap_or_else(|_| rustls::ServerConfig::builder());
    let mut config = builder.with_no_client_auth().with_cert_resolver(resolver);
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Arc::new(config)
}

/// The SHA-256 pin of the leaf's public key (SubjectPublicKeyInfo), base64,
/// as HPKP and the Countersign authenticator use it.
pub fn spki_pin(leaf: &CertificateDer<'_>) -> Option<String> {
    let cert = webpki::EndEntityCert::try_from(leaf).ok()?;
    let spki = cert.subject_public_key_info();
    Some(STANDARD.encode(Sha256::digest(spki.as_ref())))
}
