//! TLS trust for talking to the server: with a pin from activation, exactly
//! the pinned key; without one, the full chain against the system's roots,
//! with refusals explained in plain words.

pub mod diagnose;
mod explain;
mod names;
mod pinned;
mod recording;
pub mod spki;

use std::fmt;
use std::sync::{Arc, Mutex};

use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::RootCertStore;
use rustls_pki_types::CertificateDer;

pub use diagnose::ChainProblem;
pub use explain::explain;
pub use spki::SpkiPin;

/// Which servers to trust.
#[derive(Debug, Clone)]
pub enum Trust {
    /// Exactly the server whose leaf key has this pin.
    Pinned(SpkiPin),
    /// The system's roots (rustls-native-certs; honours `SSL_CERT_FILE`).
    System,
    /// These roots only (tests, private deployments).
    Roots(Vec<CertificateDer<'static>>),
}

/// Why a TLS configuration could not be built.
#[derive(Debug, thiserror::Error)]
pub enum TlsSetupError {
    #[error("no trusted root certificates were found on this system: install the ca-certificates package, set SSL_CERT_FILE to a PEM bundle, or activate with a QR code that carries the server's pin")]
    NoRoots,
    #[error("cannot set up TLS: {0}")]
    Rustls(String),
}

/// What a verifier found wrong during the last failed handshake, kept so
/// the error the HTTP client returns can be explained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsProblem {
    PinMismatch {
        pinned: SpkiPin,
        presented: Option<SpkiPin>,
    },
    Chain {
        problems: Vec<ChainProblem>,
        rustls: String,
    },
}

impl fmt::Display for TlsProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TlsProblem::PinMismatch { pinned, presented } => {
                let presented = presented
                    .map(|p| p.to_string())
                    .unwrap_or_else(|| "an unreadable certificate".to_owned());
                write!(
                    f,
                    "the server's key does not match the pin from activation (pinned {pinned}, the server presented {presented}): if the server's key was replaced, activate again with a new activation QR; otherwise this is not the server you activated with, so nothing was sent to it"
                )
            }
            TlsProblem::Chain { problems, rustls } if problems.is_empty() => {
                write!(f, "the server's certificate was refused: {rustls}")
            }
            TlsProblem::Chain { problems, .. } => {
                let parts: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
                write!(
                    f,
                    "the server's certificate is not trusted: {}",
                    parts.join("; also, ")
                )
            }
        }
    }
}

/// Where verifiers leave the last problem they found.
#[derive(Debug, Clone, Default)]
pub struct ProblemSlot(Arc<Mutex<Option<TlsProblem>>>);

impl ProblemSlot {
    pub fn set(&self, problem: TlsProblem) {
        if let Ok(mut slot) = self.0.lock() {
            *slot = Some(problem);
        }
    }

    pub fn take(&self) -> Option<TlsProblem> {
        self.0.lock().ok().and_then(|mut slot| slot.take())
    }
}

/// A rustls client configuration for `trust` (TLS 1.2 and 1.3 only), and
/// the slot where its verifier explains refusals.
pub fn client_config(trust: &Trust) -> Result<(rustls::ClientConfig, ProblemSlot), TlsSetupError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let problems = ProblemSlot::default();
    let verifier: Arc<dyn rustls::client::danger::ServerCertVerifier> = match trust {
        Trust::Pinned(pin) => Arc::new(pinned::PinnedVerifier::new(
            *pin,
            provider.clone(),
            problems.clone(),
        )),
        Trust::System => system_verifier(system_roots(), &provider, &problems)?,
        Trust::Roots(certs) => system_verifier(roots_from(certs), &provider, &problems)?,
    };
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| TlsSetupError::Rustls(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    Ok((config, problems))
}

fn system_verifier(
    roots: RootCertStore,
    provider: &Arc<CryptoProvider>,
    problems: &ProblemSlot,
) -> Result<Arc<dyn rustls::client::danger::ServerCertVerifier>, TlsSetupError> {
    if roots.is_empty() {
        return Err(TlsSetupError::NoRoots);
    }
    let anchors = Arc::new(roots.roots.clone());
    let inner = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|e| TlsSetupError::Rustls(e.to_string()))?;
    Ok(Arc::new(recording::RecordingVerifier::new(
        inner,
        anchors,
        problems.clone(),
    )))
}

/// The system's roots; certificates that cannot be parsed are skipped.
fn system_roots() -> RootCertStore {
    let found = rustls_native_certs::load_native_certs();
    roots_from(&found.certs)
}

fn roots_from(certs: &[CertificateDer<'_>]) -> RootCertStore {
    let mut roots = RootCertStore::empty();
    let _ = roots.add_parsable_certificates(certs.iter().cloned());
    roots
}
