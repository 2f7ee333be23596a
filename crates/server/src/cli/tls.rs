//! `countersign tls self-signed`: a lab certificate and its pin.

use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Subcommand;
use rustls_pki_types::CertificateDer;
use serde_json::json;

use super::Output;

#[derive(Debug, Subcommand)]
pub enum TlsCommand {
    /// Write a self-signed certificate for a lab and print its key pin.
    /// Standard apps and browsers will not trust it; the Countersign
    /// authenticator does, through the pin.
    SelfSigned {
        /// Host name (and SAN) of the certificate; repeat for several.
        #[arg(long = "hostname", required = true)]
        hostnames: Vec<String>,
        /// Where to write the certificate [default: DATA_DIR/tls/cert.pem].
        #[arg(long)]
        cert: Option<PathBuf>,
        /// Where to write the private key, mode 0600 [default: DATA_DIR/tls/key.pem].
        #[arg(long)]
        key: Option<PathBuf>,
    },
}

pub fn tls(command: TlsCommand, data_dir: &Path, out: &Output) -> Result<ExitCode> {
    let TlsCommand::SelfSigned {
        hostnames,
        cert,
        key,
    } = command;
    let cert_path = cert.unwrap_or_else(|| data_dir.join("tls").join("cert.pem"));
    let key_path = key.unwrap_or_else(|| data_dir.join("tls").join("key.pem"));
    let made = rcgen::generate_simple_self_signed(hostnames.clone())
        .context("cannot make the certificate: host names must be DNS names or IP addresses")?;
    write_file(&cert_path, made.cert.pem().as_bytes(), 0o644)?;
    write_file(&key_path, made.key_pair.serialize_pem().as_bytes(), 0o600)?;
    let pin =
        crate::tls::spki_pin(&CertificateDer::from(made.cert.der().to_vec())).unwrap_or_default();
    let value =
        json!({"cert": cert_path, "key": key_path, "pin_sha256": pin, "hostnames": hostnames});
    out.show(&value, || {
        format!(
            "wrote {} and {}\npin (sha256 of the public key): {pin}\n\
             serve it with COUNTERSIGN_TLS_CERT={} COUNTERSIGN_TLS_KEY={}",
            cert_path.display(),
            key_path.display(),
            cert_path.display(),
            key_path.display()
        )
    });
    Ok(ExitCode::SUCCESS)
}

fn write_file(path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(mode)
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    file.write_all(bytes)
        .with_context(|| format!("cannot write {}", path.display()))
}
