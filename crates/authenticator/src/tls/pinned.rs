//! Trust exactly the server whose leaf key has the activation pin: any
//! certificate (self-signed, private CA, any name) with that key, and
//! nothing else. The handshake signatures are still checked, so only the
//! holder of the pinned private key gets through.

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::{CertificateError, DigitallySignedStruct, SignatureScheme};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};

use super::spki::SpkiPin;
use super::{ProblemSlot, TlsProblem};

/// A verifier that accepts only the pinned key.
#[derive(Debug)]
pub struct PinnedVerifier {
    pin: SpkiPin,
    provider: Arc<CryptoProvider>,
    problems: ProblemSlot,
}

impl PinnedVerifier {
    pub fn new(pin: SpkiPin, provider: Arc<CryptoProvider>, problems: ProblemSlot) -> Self {
        PinnedVerifier {
            pin,
            provider,
            problems,
        }
    }
}

impl ServerCertVerifier for PinnedVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let presented = SpkiPin::of_certificate(end_entity);
        if presented == Some(self.pin) {
            return Ok(ServerCertVerified::assertion());
        }
        self.problems.set(TlsProblem::PinMismatch {
            pinned: self.pin,
            presented,
        });
        Err(rustls::Error::InvalidCertificate(
            CertificateError::ApplicationVerificationFailure,
        ))
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
            &self.provider.signature_verification_algorithms,
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
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}
