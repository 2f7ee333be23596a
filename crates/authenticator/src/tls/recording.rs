//! Full verification against the system's roots (rustls' own webpki
//! verifier), recording the chain the server sent so that, when it fails,
//! [`diagnose`](super::diagnose::diagnose) can say which part is wrong.

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::{DigitallySignedStruct, SignatureScheme};
use rustls_pki_types::{CertificateDer, ServerName, TrustAnchor, UnixTime};

use super::diagnose::diagnose;
use super::{ProblemSlot, TlsProblem};

/// The system verifier, plus a diagnosis of its refusals.
#[derive(Debug)]
pub struct RecordingVerifier {
    inner: Arc<WebPkiServerVerifier>,
    roots: Arc<Vec<TrustAnchor<'static>>>,
    problems: ProblemSlot,
}

impl RecordingVerifier {
    pub fn new(
        inner: Arc<WebPkiServerVerifier>,
        roots: Arc<Vec<TrustAnchor<'static>>>,
        problems: ProblemSlot,
    ) -> Self {
        RecordingVerifier {
            inner,
            roots,
            problems,
        }
    }
}

impl ServerCertVerifier for RecordingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let result = self.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        );
        if let Err(error) = &result {
            let problems = diagnose(end_entity, intermediates, server_name, &self.roots, now);
            self.problems.set(TlsProblem::Chain {
                problems,
                rustls: error.to_string(),
            });
        }
        result
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}
