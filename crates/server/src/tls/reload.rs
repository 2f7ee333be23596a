//! Replacing the certificate while serving: on SIGHUP and when the files
//! change. Connections already open keep their session; new handshakes get
//! the new certificate. A broken replacement keeps the old one.

use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;

use super::{load_certified_key, TlsError};

#[derive(Debug)]
pub struct ReloadingResolver {
    cert: PathBuf,
    key: PathBuf,
    current: RwLock<Arc<CertifiedKey>>,
}

impl ReloadingResolver {
    pub fn new(cert: PathBuf, key: PathBuf) -> Result<Self, TlsError> {
        let loaded = load_certified_key(&cert, &key)?;
        Ok(Self {
            cert,
            key,
            current: RwLock::new(Arc::new(loaded)),
        })
    }

    /// Loads the files again; on error the old certificate stays in service.
    pub fn reload(&self) -> Result<(), TlsError> {
        let loaded = load_certified_key(&self.cert, &self.key)?;
        if let Ok(mut current) = self.current.write() {
            *current = Arc::new(loaded);
        }
        Ok(())
    }

    fn modified(&self) -> Option<(SystemTime, SystemTime)> {
        let cert = std::fs::metadata(&self.cert)
            .and_then(|m| m.modified())
            .ok()?;
        let key = std::fs::metadata(&self.key)
            .and_then(|m| m.modified())
            .ok()?;
        Some((cert, key))
    }
}

impl ResolvesServerCert for ReloadingResolver {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        self.current.read().ok().map(|c| c.clone())
    }
}

/// Reloads on SIGHUP, and when either file's modification time changes
/// (checked every `poll`), for as long as the server runs.
pub fn watch(resolver: Arc<ReloadingResolver>, poll: Duration) {
    // Registered before the task runs, so a SIGHUP right after start is
    // never the default action (which would end the process).
    let mut hangup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok();
    tokio::spawn(async move {
        let mut seen = resolver.modified();
        let mut tick = tokio::time::interval(poll);
        loop {
            let why = tokio::select! {
                _ = async { match hangup.as_mut() { Some(s) => { s.recv().await; } None => std::future::pending().await } } => "SIGHUP",
                _ = tick.tick() => {
                    let now = resolver.modified();
                    if now == seen { continue; }
                    seen = now;
                    "the certificate files changed"
                }
            };
            match resolver.reload() {
                Ok(()) => tracing::info!(trigger = why, "TLS certificate reloaded"),
                Err(e) => tracing::error!(trigger = why, error = %e,
                    "the new TLS certificate could not be loaded: still serving the previous one; fix the files and send SIGHUP"),
            }
        }
    });
}
