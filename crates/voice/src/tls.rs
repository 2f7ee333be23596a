//! SIP over TLS: the roots the trunk's certificate is checked against
//! (`voice.sip.ca_file`, else the system's), handed to rsipstack as PEM,
//! and a refused handshake said in words.

use crate::config::SipConfig;
use crate::error::VoiceError;
use base64::Engine;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;

/// The PEM bundle of trusted roots for `config`: the CA file's certificates
/// (every one must parse, at least one), or the system's store.
pub fn roots_pem(config: &SipConfig) -> Result<Vec<u8>, VoiceError> {
    let Some(file) = &config.ca_file else {
        return system_roots();
    };
    let bytes = std::fs::read(file).map_err(|e| {
        VoiceError::Config(vec![format!(
            "voice.sip.ca_file {}: cannot read it: {e}",
            file.display()
        )])
    })?;
    let certs: Result<Vec<_>, _> = CertificateDer::pem_slice_iter(&bytes).collect();
    match certs {
        Ok(certs) if !certs.is_empty() => Ok(bytes),
        Ok(_) => Err(VoiceError::Config(vec![format!(
            "voice.sip.ca_file {} holds no PEM certificate (-----BEGIN CERTIFICATE-----): give the CA certificate that issued the trunk's",
            file.display()
        )])),
        Err(e) => Err(VoiceError::Config(vec![format!(
            "voice.sip.ca_file {}: not a PEM certificate file ({e})",
            file.display()
        )])),
    }
}

fn system_roots() -> Result<Vec<u8>, VoiceError> {
    let found = rustls_native_certs::load_native_certs();
    if found.certs.is_empty() {
        let why = found
            .errors
            .first()
            .map(|e| format!(" ({e})"))
            .unwrap_or_default();
        return Err(VoiceError::Config(vec![format!(
            "voice.sip.transport is tls but the system has no CA certificates{why}: install ca-certificates or set voice.sip.ca_file"
        )]));
    }
    Ok(found.certs.iter().flat_map(|c| pem(c)).collect())
}

fn pem(cert: &CertificateDer<'_>) -> Vec<u8> {
    let b64 = base64::engine::general_purpose::STANDARD.encode(cert.as_ref());
    let mut out = String::from("-----BEGIN CERTIFICATE-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str("-----END CERTIFICATE-----\n");
    out.into_bytes()
}

/// Opens (or finds) the TLS connection to `hop` before a request goes out:
/// rsipstack treats a failed handshake as a lost packet and waits for its
/// 32 s timer, so the refusal is caught here and said in words.
pub(crate) async fn connect(
    endpoint: &rsipstack::transaction::endpoint::EndpointInnerRef,
    config: &SipConfig,
    hop: &str,
) -> Result<(), String> {
    if config.transport != crate::config::SipTransport::Tls {
        return Ok(());
    }
    let uri = format!("sip:{hop}")
        .parse::<rsipstack::sip::Uri>()
        .map_err(|e| format!("{hop} is not host:port: {e}"))?;
    let mut addr =
        rsipstack::transport::SipAddr::try_from(&uri).map_err(|e| format!("{hop}: {e}"))?;
    addr.r#type = Some(rsipstack::sip::Transport::Tls);
    let lookup = endpoint.transport_layer.lookup(&addr, None);
    match tokio::time::timeout(std::time::Duration::from_secs(10), lookup).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(explain(config, hop, &format!("TLS to {hop} failed: {e}"))),
        Err(_) => Err(format!("TLS to {hop}: no connection within 10 s; check voice.sip.trunk and that it serves SIP over TLS")),
    }
}

/// For `doctor`: a TLS handshake with the trunk (or outbound proxy) as a
/// call makes it, its certificate checked against the configured roots for
/// the configured host name. What was found, or what to fix.
pub async fn check(config: &SipConfig) -> Result<String, String> {
    let hop = config.outbound_proxy.as_deref().unwrap_or(&config.trunk);
    let roots_pem = roots_pem(config).map_err(|e| e.to_string())?;
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(&roots_pem).flatten() {
        let _ = roots.add(cert);
    }
    let client = rustls::ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let host = hop.rsplit_once(':').map_or(hop, |(h, _)| h);
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let name = rustls_pki_types::ServerName::try_from(host.to_string())
        .map_err(|e| format!("{host} is not a host name or address: {e}"))?;
    let addr = if hop.contains(':') {
        hop.to_string()
    } else {
        format!("{hop}:5061")
    };
    let connect = async {
        let tcp = tokio::net::TcpStream::connect(&addr)
            .await
            .map_err(|e| format!("cannot connect to {addr}: {e}"))?;
        tokio_rustls::TlsConnector::from(std::sync::Arc::new(client))
            .connect(name, tcp)
            .await
            .map_err(|e| explain(config, hop, &format!("TLS to {hop} failed: {e}")))
    };
    match tokio::time::timeout(std::time::Duration::from_secs(10), connect).await {
        Ok(Ok(tls)) => {
            let version = tls
                .get_ref()
                .1
                .protocol_version()
                .map(|v| format!("{v:?}"))
                .unwrap_or_default();
            Ok(format!(
                "{hop} speaks {version} with a certificate for {host} that chains to {}",
                trust(config)
            ))
        }
        Ok(Err(e)) => Err(e),
        Err(_) => Err(format!("{addr}: no TLS handshake within 10 s")),
    }
}

fn trust(config: &SipConfig) -> String {
    match &config.ca_file {
        Some(f) => format!("the CA in voice.sip.ca_file ({})", f.display()),
        None => "the system's CA certificates".into(),
    }
}

/// A failed INVITE or REGISTER over TLS, said so the operator knows what to
/// change; other errors as they are.
pub(crate) fn explain(config: &SipConfig, hop: &str, error: &str) -> String {
    if config.transport != crate::config::SipTransport::Tls {
        return error.to_string();
    }
    let lower = error.to_ascii_lowercase();
    let certificate = lower.contains("certificate") || lower.contains("unknownissuer");
    if !certificate {
        return error.to_string();
    }
    let trust = trust(config);
    format!(
        "TLS to {hop}: its certificate was refused ({error}); it must chain to {trust} and name the host in voice.sip.trunk: fix voice.sip.ca_file or the trunk's name"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SipTransport;

    #[test]
    fn ca_files_are_checked() {
        let dir = std::env::temp_dir().join(format!("countersign-tls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("mkdir");
        let cfg = |f: &str| SipConfig {
            transport: SipTransport::Tls,
            ca_file: Some(dir.join(f)),
            ..SipConfig::default()
        };
        let missing = roots_pem(&cfg("none.pem")).expect_err("missing");
        assert!(missing.to_string().contains("cannot read it"), "{missing}");
        std::fs::write(dir.join("empty.pem"), "hello").expect("write");
        let empty = roots_pem(&cfg("empty.pem")).expect_err("no cert");
        assert!(
            empty.to_string().contains("holds no PEM certificate"),
            "{empty}"
        );
        let one = pem(&CertificateDer::from(vec![0x30, 0x03, 1, 2, 3]));
        std::fs::write(dir.join("one.pem"), &one).expect("write");
        assert_eq!(roots_pem(&cfg("one.pem")).expect("one"), one);
        std::fs::remove_dir_all(&dir).expect("cleanup");
        let words = explain(
            &cfg("ca.pem"),
            "pbx:5061",
            "invalid peer certificate: UnknownIssuer",
        );
        assert!(
            words.contains("voice.sip.ca_file") && words.contains("pbx:5061"),
            "{words}"
        );
        assert_eq!(
            explain(&cfg("x"), "pbx", "connection refused"),
            "connection refused"
        );
    }
}
