//! Turning a failed HTTPS request into a sentence: find the rustls error in
//! the error's sources and pair it with what the verifier recorded.

use std::error::Error as StdError;

use rustls::{AlertDescription, PeerIncompatible};

use super::ProblemSlot;

const OLD_TLS: &str = "TLS version: the server offers only TLS 1.0 or 1.1, which are insecure and not accepted; this authenticator needs TLS 1.2 or 1.3: enable TLS 1.2 or 1.3 on the server (or on the proxy in front of it)";

/// A plain-words explanation when `error` is a TLS failure, else None.
pub fn explain(error: &(dyn StdError + 'static), problems: Option<&ProblemSlot>) -> Option<String> {
    let rustls_error = find_rustls_error(error)?;
    if is_old_tls(rustls_error) {
        return Some(OLD_TLS.to_owned());
    }
    if let Some(problem) = problems.and_then(ProblemSlot::take) {
        return Some(problem.to_string());
    }
    Some(format!(
        "the TLS handshake with the server failed: {rustls_error}"
    ))
}

/// Whether the failure means the server speaks only TLS 1.0 or 1.1.
pub fn is_old_tls(error: &rustls::Error) -> bool {
    matches!(
        error,
        rustls::Error::PeerIncompatible(PeerIncompatible::ServerDoesNotSupportTls12Or13)
            | rustls::Error::AlertReceived(AlertDescription::ProtocolVersion)
    )
}

/// The rustls error among `error`'s sources. An `io::Error` hides its
/// inner error from `source()` (and may wrap another `io::Error`), so it
/// is opened with `get_ref()`.
fn find_rustls_error<'a>(error: &'a (dyn StdError + 'static)) -> Option<&'a rustls::Error> {
    let mut current = Some(error);
    while let Some(err) = current {
        if let Some(found) = err.downcast_ref::<rustls::Error>() {
            return Some(found);
        }
        current = match err
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            Some(inner) => Some(inner as &(dyn StdError + 'static)),
            None => err.source(),
        };
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_tls_is_recognised_inside_an_io_error() {
        // As hyper-rustls delivers it: io::Error(Other, io::Error(InvalidData, rustls)).
        let inner = std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            rustls::Error::PeerIncompatible(PeerIncompatible::ServerDoesNotSupportTls12Or13),
        );
        let io = std::io::Error::other(inner);
        let text = explain(&io, None).expect("a TLS error");
        assert!(text.contains("TLS 1.0 or 1.1"), "{text}");
        let alert = rustls::Error::AlertReceived(AlertDescription::ProtocolVersion);
        assert!(explain(&alert, None)
            .expect("tls")
            .contains("TLS 1.2 or 1.3"));
    }

    #[test]
    fn other_errors_are_not_tls() {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        assert_eq!(explain(&io, None), None);
    }

    #[test]
    fn a_recorded_problem_is_preferred() {
        let slot = ProblemSlot::default();
        slot.set(super::super::TlsProblem::Chain {
            problems: vec![],
            rustls: "invalid peer certificate: UnknownIssuer".into(),
        });
        let err = rustls::Error::General("x".into());
        let text = explain(&err, Some(&slot)).expect("tls");
        assert!(text.contains("UnknownIssuer"), "{text}");
        assert!(slot.take().is_none(), "taken once");
    }
}
