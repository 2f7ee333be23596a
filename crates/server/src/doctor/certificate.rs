//! The configured certificate: files readable, key matching, chain complete
//! to a root the system trusts, dates, and the public_url host in its names.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use countersign_domain::ports::clock::rfc3339;
use countersign_domain::ports::diagnostics::Finding;
use rustls_pki_types::{CertificateDer, ServerName, TrustAnchor, UnixTime};
use webpki::{EndEntityCert, Error as PkiError, KeyUsage};

use super::{Check, Doctor};
use crate::config::Config;
use crate::tls::{self, TlsError};

pub fn register(doctor: &mut Doctor) {
    doctor.register(Box::new(CertificateCheck));
}

/// Days before expiry from which the doctor warns.
const WARN_DAYS: u64 = 30;

struct CertificateCheck;

#[async_trait]
impl Check for CertificateCheck {
    async fn run(&self, config: &Config) -> Vec<Finding> {
        let (Some(cert), Some(key)) = (&config.tls_cert, &config.tls_key) else {
            return vec![without_tls(config)];
        };
        let chain = match tls::read_chain(cert) {
            Ok(chain) => chain,
            Err(e) => {
                return vec![Finding::fail(
                    "certificate.files",
                    e.to_string(),
                    "point tls.cert at a readable PEM file with the full chain",
                )]
            }
        };
        let mut findings = vec![match tls::load_certified_key(cert, key) {
            Ok(_) => Finding::pass("certificate.key", "the private key matches the certificate"),
            Err(e @ TlsError::KeyMismatch) => Finding::fail(
                "certificate.key",
                e.to_string(),
                "install the key the certificate was issued for (tls.key)",
            ),
            Err(e) => Finding::fail(
                "certificate.key",
                e.to_string(),
                "point tls.key at the certificate's PEM private key (PKCS#8)",
            ),
        }];
        findings.extend(analyse_chain(
            "certificate",
            &chain,
            public_host(config).as_deref(),
        ));
        findings
    }
}

fn without_tls(config: &Config) -> Finding {
    if config.behind_proxy && config.browsers_use_https() {
        Finding::pass(
            "certificate.chain",
            "TLS is terminated by the proxy in front of Countersign (checked at public_url below); \
             session cookies are Secure and HSTS is sent",
        )
    } else if config.behind_proxy {
        Finding::warn(
            "certificate.chain",
            "behind a proxy, but public_url is not https: session cookies are sent without Secure and no HSTS",
            "set public_url to the https address the proxy serves, e.g. https://mfa.example.org",
        )
    } else {
        Finding::warn(
            "certificate.chain",
            "Countersign serves plain HTTP (fine on loopback for a lab)",
            "phones and applications need HTTPS: set tls.cert and tls.key, or put a TLS proxy in front (http.behind_proxy)",
        )
    }
}

pub fn public_host(config: &Config) -> Option<String> {
    let url = url::Url::parse(config.public_url.as_deref()?).ok()?;
    url.host_str()
        .map(|h| h.trim_start_matches('[').trim_end_matches(']').to_string())
}

/// Chain, dates and name of a chain (configured or served), leaf first.
pub fn analyse_chain(
    prefix: &str,
    chain: &[CertificateDer<'static>],
    host: Option<&str>,
) -> Vec<Finding> {
    let name = |part: &str| format!("{prefix}.{part}");
    let Some(leaf) = chain
        .first()
        .and_then(|der| EndEntityCert::try_from(der).ok())
    else {
        return vec![Finding::fail(
            &name("chain"),
            "the certificate cannot be parsed",
            "install a valid X.509 certificate in PEM",
        )];
    };
    let system = system_anchors();
    let own: Vec<TrustAnchor<'_>> = chain
        .iter()
        .filter_map(|c| webpki::anchor_from_trusted_cert(c).ok())
        .collect();
    let intermediates = chain.get(1..).unwrap_or_default();
    let (chain_finding, anchors) = match verify_any_time(&leaf, &system, intermediates) {
        Ok(()) => (
            Finding::pass(
                &name("chain"),
                format!(
                    "complete chain of {} certificate(s) to a root this system trusts",
                    chain.len()
                ),
            ),
            &system,
        ),
        Err(PkiError::UnknownIssuer) => (untrusted(&name("chain"), &leaf, chain, &own), &own),
        Err(e) => (
            Finding::fail(
                &name("chain"),
                format!("the chain does not verify: {e:?}"),
                "install the certificate chain your CA issued",
            ),
            &system,
        ),
    };
    let mut findings = vec![
        chain_finding,
        expiry(&name("expiry"), &leaf, anchors, intermediates),
    ];
    findings.push(match host {
        None => Finding::warn(
            &name("hostname"),
            "public_url is not set, so the name cannot be checked",
            "set public_url to the address users and devices reach",
        ),
        Some(host) => hostname(&name("hostname"), &leaf, host),
    });
    findings
}

fn untrusted(
    check: &str,
    leaf: &EndEntityCert<'_>,
    chain: &[CertificateDer<'static>],
    own: &[TrustAnchor<'_>],
) -> Finding {
    let intermediates = chain.get(1..).unwrap_or_default();
    if verify_any_time(leaf, own, intermediates).is_err() {
        return Finding::fail(
            check,
            "the chain is incomplete: no path leads from the certificate to a trusted root (an intermediate certificate is missing, or the issuing CA is unknown)",
            "append the intermediate certificate(s) after the server certificate in tls.cert, in order",
        );
    }
    let what = if chain.len() == 1 {
        "self-signed"
    } else {
        "issued by a private CA"
    };
    Finding::warn(
        check,
        format!("the certificate is {what}: standard authenticator apps and browsers will not trust it; the Countersign authenticator works through the key pin in the activation QR"),
        "for standard apps and browsers, use a certificate from a public CA (e.g. ACME); otherwise distribute the CA to every device",
    )
}

fn expiry(
    check: &str,
    leaf: &EndEntityCert<'_>,
    anchors: &[TrustAnchor<'_>],
    intermediates: &[CertificateDer<'_>],
) -> Finding {
    // Verifying at a time far in the future reports the earliest notAfter of the path.
    let not_after = match verify(leaf, anchors, intermediates, far_future()) {
        Err(PkiError::CertExpired { not_after, .. }) => not_after.as_secs(),
        _ => {
            return Finding::warn(
                check,
                "the expiry date could not be read",
                "check the certificate with `openssl x509 -noout -dates`",
            )
        }
    };
    let now = now_secs();
    let days_left = (not_after as i64 - now as i64) / 86_400;
    let when = rfc3339(not_after as i64);
    if not_after <= now {
        Finding::fail(
            check,
            format!("the certificate expired on {when}"),
            "renew the certificate and send SIGHUP (or let the file watcher reload it)",
        )
    } else if not_after <= now + WARN_DAYS * 86_400 {
        Finding::warn(
            check,
            format!("the certificate expires on {when}, in {days_left} day(s)"),
            "renew it now; Countersign reloads the files when they change",
        )
    } else {
        Finding::pass(check, format!("valid until {when} ({days_left} days)"))
    }
}

fn hostname(check: &str, leaf: &EndEntityCert<'_>, host: &str) -> Finding {
    let Ok(server_name) = ServerName::try_from(host.to_string()) else {
        return Finding::fail(
            check,
            format!("public_url's host '{host}' is not a valid name"),
            "correct public_url",
        );
    };
    match leaf.verify_is_valid_for_subject_name(&server_name) {
        Ok(()) => Finding::pass(check, format!("the certificate is valid for {host}")),
        Err(_) => Finding::fail(
            check,
            format!("public_url's host '{host}' is not among the certificate's names (subjectAltName)"),
            "get a certificate that names this host, or set public_url to a name the certificate carries",
        ),
    }
}

fn verify(
    leaf: &EndEntityCert<'_>,
    anchors: &[TrustAnchor<'_>],
    intermediates: &[CertificateDer<'_>],
    at: u64,
) -> Result<(), PkiError> {
    let time = UnixTime::since_unix_epoch(Duration::from_secs(at));
    leaf.verify_for_usage(
        webpki::ALL_VERIFICATION_ALGS,
        anchors,
        intermediates,
        time,
        KeyUsage::server_auth(),
        None,
        None,
    )
    .map(|_| ())
}

/// Trust anchors of the system store (honours SSL_CERT_FILE and SSL_CERT_DIR).
fn system_anchors() -> Vec<TrustAnchor<'static>> {
    let loaded = rustls_native_certs::load_native_certs();
    loaded
        .certs
        .iter()
        .filter_map(|der| {
            webpki::anchor_from_trusted_cert(der)
                .ok()
                .map(|a| a.to_owned())
        })
        .collect()
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Chain building judged apart from dates: when a certificate of the path
/// is expired (or not yet valid), the path is checked at a time it was valid,
/// so an expired chain is reported once, by the expiry check.
fn verify_any_time(
    leaf: &EndEntityCert<'_>,
    anchors: &[TrustAnchor<'_>],
    intermediates: &[CertificateDer<'_>],
) -> Result<(), PkiError> {
    let mut at = now_secs();
    for _ in 0..4 {
        match verify(leaf, anchors, intermediates, at) {
            Err(PkiError::CertExpired { not_after, .. }) => {
                at = not_after.as_secs().saturating_sub(1)
            }
            Err(PkiError::CertNotValidYet { not_before, .. }) => at = not_before.as_secs() + 1,
            other => return other,
        }
    }
    verify(leaf, anchors, intermediates, at)
}

/// The last second of the year 9999, the latest time X.509 can express.
fn far_future() -> u64 {
    253_402_300_799
}
