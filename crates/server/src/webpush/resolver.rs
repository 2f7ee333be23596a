//! Name resolution for Web Push posts that keeps them off internal
//! addresses: a device chooses its endpoint, so a name resolving to the
//! server's own network (now or after a DNS change) must not be posted to.
//! The resolved addresses are checked, and only those are connected to, so
//! a second lookup cannot swap in another (DNS rebinding).

use std::net::SocketAddr;

use countersign_domain::methods::webpush::WebPush;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// A name that resolves only to addresses a push may not go to.
#[derive(Debug, thiserror::Error)]
#[error(
    "{host} resolves only to private, loopback or link-local addresses ({addresses}): \
     push services are on the internet (web_push.allowed_networks lets an internal one through)"
)]
pub struct InternalAddress {
    host: String,
    addresses: String,
}

/// Resolves with the system resolver, keeping only allowed addresses.
pub struct PublicOnly {
    pub web_push: WebPush,
}

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        let web_push = self.web_push.clone();
        Box::pin(async move {
            let host = name.as_str().to_string();
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let (allowed, refused): (Vec<SocketAddr>, Vec<SocketAddr>) = found
                .into_iter()
                .partition(|a| web_push.address_allowed(a.ip()));
            if allowed.is_empty() {
                let addresses = refused
                    .iter()
                    .map(|a| a.ip().to_string())
                    .collect::<Vec<_>>()
                    .join(", ");
                return Err(Box::new(InternalAddress { host, addresses }) as _);
            }
            if !refused.is_empty() {
                tracing::debug!(%host, skipped = refused.len(), "web push: internal addresses of the endpoint skipped");
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

/// The [`InternalAddress`] refusal somewhere in an error's chain.
pub fn internal_address<'a>(
    error: &'a (dyn std::error::Error + 'static),
) -> Option<&'a InternalAddress> {
    let mut current = Some(error);
    while let Some(e) = current {
        if let Some(found) = e.downcast_ref::<InternalAddress>() {
            return Some(found);
        }
        current = e.source();
    }
    None
}
