//! When the system's verification of a server's chain fails, this works out
//! in plain words which part is wrong, by checking the captured chain with
//! webpki again: the root nobody trusts (self-signed or private CA), the
//! intermediate the server forgot to send, the name, the dates.

use std::fmt;

use rustls_pki_types::{CertificateDer, ServerName, TrustAnchor, UnixTime};
use webpki::{EndEntityCert, KeyUsage};

use super::names;
use crate::timefmt::format_unix;

const PIN_ADVICE: &str = "use the activation QR, which carries the pin, or install the CA";

/// One thing wrong with a server's certificate chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainProblem {
    /// The server's certificate is its own issuer and is not trusted.
    SelfSigned { subject: String },
    /// The chain is complete but ends at a CA the system does not trust.
    PrivateCa { root: String },
    /// The chain stops at a certificate whose issuer was not sent and is
    /// not a trusted root.
    MissingIntermediate { issuer: String },
    /// The certificate does not name the host connected to.
    NameMismatch { name: String, names: Vec<String> },
    /// A certificate of the chain is past its notAfter.
    Expired { not_after: u64 },
    /// A certificate of the chain is before its notBefore.
    NotYetValid { not_before: u64 },
    /// Anything else webpki refuses.
    Other { reason: String },
}

impl fmt::Display for ChainProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChainProblem::SelfSigned { subject } => write!(
                f,
                "untrusted root: the server's certificate ({subject}) is self-signed, so this system cannot trust it: {PIN_ADVICE}"
            ),
            ChainProblem::PrivateCa { root } => write!(
                f,
                "untrusted root: the server's certificate comes from {root}, a CA this system does not trust (a private CA): {PIN_ADVICE}"
            ),
            ChainProblem::MissingIntermediate { issuer } => write!(
                f,
                "missing intermediate: the server did not send the certificate of its issuer {issuer}, which links it to a trusted root: configure the server with the full chain (its certificate followed by the intermediates); if {issuer} is a private CA, {PIN_ADVICE}"
            ),
            ChainProblem::NameMismatch { name, names } => {
                let listed = if names.is_empty() {
                    "no DNS names".to_owned()
                } else {
                    names.join(", ")
                };
                write!(
                    f,
                    "name mismatch: the server's certificate is not valid for {name}; it names {listed}: use a server URL with one of those names, or give the server a certificate for {name}"
                )
            }
            ChainProblem::Expired { not_after } => write!(
                f,
                "expired: the server's certificate (or one of its chain) expired on {}: the server needs a renewed certificate (if that date is in the future, check this computer's clock)",
                format_unix(*not_after)
            ),
            ChainProblem::NotYetValid { not_before } => write!(
                f,
                "not yet valid: the server's certificate is valid only from {}: check this computer's clock",
                format_unix(*not_before)
            ),
            ChainProblem::Other { reason } => {
                write!(f, "the server's certificate was refused: {reason}")
            }
        }
    }
}

/// Everything wrong with `end_entity` (+ `intermediates`, as sent) for
/// `server_name` under `roots` at `now`; empty when webpki finds no fault.
pub fn diagnose(
    end_entity: &CertificateDer<'_>,
    intermediates: &[CertificateDer<'_>],
    server_name: &ServerName<'_>,
    roots: &[TrustAnchor<'_>],
    now: UnixTime,
) -> Vec<ChainProblem> {
    let Ok(leaf) = EndEntityCert::try_from(end_entity) else {
        return vec![ChainProblem::Other {
            reason: "it cannot be parsed as an X.509 certificate".to_owned(),
        }];
    };
    let mut problems = chain_problems(&leaf, end_entity, intermediates, roots, now);
    if leaf.verify_is_valid_for_subject_name(server_name).is_err() {
        problems.push(ChainProblem::NameMismatch {
            name: server_name.to_str().into_owned(),
            names: leaf.valid_dns_names().map(str::to_owned).collect(),
        });
    }
    problems
}

fn verify(
    leaf: &EndEntityCert<'_>,
    intermediates: &[CertificateDer<'_>],
    roots: &[TrustAnchor<'_>],
    at: UnixTime,
) -> Result<(), webpki::Error> {
    leaf.verify_for_usage(
        webpki::ALL_VERIFICATION_ALGS,
        roots,
        intermediates,
        at,
        KeyUsage::server_auth(),
        None,
        None,
    )
    .map(|_| ())
}

/// The chain's problems. Date problems are checked before the issuer, so
/// after one the check is repeated at a time the dates allow, to find the
/// issuer problem too.
fn chain_problems(
    leaf: &EndEntityCert<'_>,
    leaf_der: &CertificateDer<'_>,
    intermediates: &[CertificateDer<'_>],
    roots: &[TrustAnchor<'_>],
    now: UnixTime,
) -> Vec<ChainProblem> {
    let mut problems = Vec::new();
    let mut at = now;
    for _ in 0..4 {
        match verify(leaf, intermediates, roots, at) {
            Ok(()) => break,
            Err(webpki::Error::CertExpired { not_after, .. }) => {
                push_once(
                    &mut problems,
                    ChainProblem::Expired {
                        not_after: not_after.as_secs(),
                    },
                );
                at = UnixTime::since_unix_epoch(std::time::Duration::from_secs(
                    not_after.as_secs().saturating_sub(1),
                ));
            }
            Err(webpki::Error::CertNotValidYet { not_before, .. }) => {
                push_once(
                    &mut problems,
                    ChainProblem::NotYetValid {
                        not_before: not_before.as_secs(),
                    },
                );
                at = not_before;
            }
            Err(webpki::Error::UnknownIssuer) => {
                problems.push(issuer_problem(leaf, leaf_der, intermediates, at));
                break;
            }
            Err(other) => {
                problems.push(ChainProblem::Other {
                    reason: format!("{other:?}"),
                });
                break;
            }
        }
    }
    problems
}

fn push_once(problems: &mut Vec<ChainProblem>, problem: ChainProblem) {
    if !problems.contains(&problem) {
        problems.push(problem);
    }
}

/// No trusted root was reached. If the chain as sent verifies with its own
/// last certificate as the anchor, it is complete and that certificate is
/// an untrusted root (or the leaf is self-signed); otherwise a link is missing.
fn issuer_problem(
    leaf: &EndEntityCert<'_>,
    leaf_der: &CertificateDer<'_>,
    intermediates: &[CertificateDer<'_>],
    at: UnixTime,
) -> ChainProblem {
    let last = intermediates.last().unwrap_or(leaf_der);
    let Ok(last_cert) = EndEntityCert::try_from(last) else {
        return ChainProblem::Other {
            reason: "the last certificate of the chain cannot be parsed".to_owned(),
        };
    };
    let anchor = webpki::anchor_from_trusted_cert(last);
    let completes = anchor
        .map(|a| verify(leaf, intermediates, &[a], at).is_ok())
        .unwrap_or(false);
    let self_issued = last_cert.issuer() == last_cert.subject();
    match (completes, intermediates.is_empty() && self_issued) {
        (true, true) => ChainProblem::SelfSigned {
            subject: names::describe(leaf.subject()),
        },
        (true, false) => ChainProblem::PrivateCa {
            root: names::describe(if self_issued {
                last_cert.subject()
            } else {
                last_cert.issuer()
            }),
        },
        (false, _) => ChainProblem::MissingIntermediate {
            issuer: names::describe(last_cert.issuer()),
        },
    }
}
