//! The RADIUS clients the listener answers: from the configuration file
//! and from the store (`countersign radius client add`), refreshed while
//! running so a new client needs no restart.

use std::net::IpAddr;
use std::sync::{Arc, RwLock};

use countersign_domain::admin::radius_clients::{RadiusClient, RadiusClients};

pub struct Registry {
    from_config: Vec<RadiusClient>,
    service: RadiusClients,
    current: RwLock<Arc<Vec<RadiusClient>>>,
}

impl Registry {
    pub fn new(from_config: Vec<RadiusClient>, service: RadiusClients) -> Self {
        let current = RwLock::new(Arc::new(from_config.clone()));
        Self {
            from_config,
            service,
            current,
        }
    }

    /// Reloads the store's clients; on error the previous list stays.
    pub async fn refresh(&self) {
        match self.service.load().await {
            Ok(stored) => {
                let mut all = self.from_config.clone();
                all.extend(stored);
                let changed = self
                    .current
                    .read()
                    .map(|c| c.len() != all.len())
                    .unwrap_or(true);
                if changed {
                    tracing::info!(clients = all.len(), "RADIUS clients loaded");
                }
                if let Ok(mut current) = self.current.write() {
                    *current = Arc::new(all);
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot load RADIUS clients from the store; keeping the previous list")
            }
        }
    }

    /// The client whose address block holds `ip`, the most specific first.
    pub fn find(&self, ip: IpAddr) -> Option<RadiusClient> {
        let current = self.current.read().ok()?.clone();
        current
            .iter()
            .filter(|c| c.net.contains(ip))
            .max_by_key(|c| c.net.prefix())
            .cloned()
    }

    pub fn all(&self) -> Arc<Vec<RadiusClient>> {
        self.current.read().map(|c| c.clone()).unwrap_or_default()
    }
}
