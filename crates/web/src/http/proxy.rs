//! The real client address behind trusted reverse proxies.
//!
//! Forwarded headers are believed only when the TCP peer is one of the
//! configured proxies, and only the one header the operator named
//! (`http.forwarded_header`): a proxy that appends to `X-Forwarded-For`
//! passes a client's own `Forwarded` header through untouched, so believing
//! both would let the client choose its address. The client is then the
//! right-most address in the chain that is not itself a trusted proxy (the
//! left part of the chain is whatever the client sent and cannot be trusted).

use std::net::{IpAddr, SocketAddr};

use axum::http::HeaderMap;
pub use countersign_domain::model::net::{canonical, IpNet};

/// The one header trusted proxies tell the client's address in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ForwardedHeader {
    /// `X-Forwarded-For` (nginx, HAProxy, most load balancers).
    #[default]
    XForwardedFor,
    /// RFC 7239 `Forwarded: for=...`.
    Forwarded,
}

impl ForwardedHeader {
    /// The setting's words: `x-forwarded-for` or `forwarded`.
    pub fn parse(text: &str) -> Option<Self> {
        match text.to_ascii_lowercase().as_str() {
            "x-forwarded-for" => Some(Self::XForwardedFor),
            "forwarded" => Some(Self::Forwarded),
            _ => None,
        }
    }
}

/// Which peers may tell us the client's address, and in which header.
#[derive(Debug, Clone, Default)]
pub struct ProxyPolicy {
    pub trusted: Vec<IpNet>,
    pub header: ForwardedHeader,
}

impl ProxyPolicy {
    fn trusts(&self, ip: IpAddr) -> bool {
        self.trusted.iter().any(|net| net.contains(ip))
    }

    /// The client's address: the peer itself, or what trusted proxies forwarded.
    pub fn client_ip(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        if !self.trusts(peer) {
            return canonical(peer);
        }
        let chain = match self.header {
            ForwardedHeader::Forwarded => forwarded_chain(headers),
            ForwardedHeader::XForwardedFor => x_forwarded_for_chain(headers),
        };
        chain
            .iter()
            .rev()
            .copied()
            .find(|ip| !self.trusts(*ip))
            .or_else(|| chain.first().copied())
            .map_or(canonical(peer), canonical)
    }
}

/// Addresses from `Forwarded: for=...` (RFC 7239), left to right.
fn forwarded_chain(headers: &HeaderMap) -> Vec<IpAddr> {
    headers
        .get_all("forwarded")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|element| {
            element.split(';').find_map(|pair| {
                let (name, value) = pair.trim().split_once('=')?;
                name.eq_ignore_ascii_case("for")
                    .then(|| parse_node(value))?
            })
        })
        .collect()
}

/// Addresses from `X-Forwarded-For`, left to right.
fn x_forwarded_for_chain(headers: &HeaderMap) -> Vec<IpAddr> {
    headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(parse_node)
        .collect()
}

/// `1.2.3.4`, `1.2.3.4:80`, `"[2001:db8::1]:443"`, `2001:db8::1`.
fn parse_node(text: &str) -> Option<IpAddr> {
    let text = text.trim().trim_matches('"');
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Ok(socket) = text.parse::<SocketAddr>() {
        return Some(socket.ip());
    }
    text.strip_prefix('[')
        .and_then(|rest| rest.split_once(']'))
        .and_then(|(ip, _)| ip.parse().ok())
}

/// The TCP peer of a connection, whichever listener accepted it.
#[derive(Debug, Clone, Copy)]
pub struct PeerAddr(pub SocketAddr);

/// Listeners whose connections come with the peer's socket address.
pub trait PeerListener: axum::serve::Listener<Addr = SocketAddr> {}

impl PeerListener for tokio::net::TcpListener {}

impl<L: PeerListener> axum::extract::connect_info::Connected<axum::serve::IncomingStream<'_, L>>
    for PeerAddr
{
    fn connect_info(stream: axum::serve::IncomingStream<'_, L>) -> Self {
        PeerAddr(*stream.remote_addr())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, value.parse().expect("header value"));
        }
        map
    }

    fn policy(nets: &[&str], header: ForwardedHeader) -> ProxyPolicy {
        ProxyPolicy {
            trusted: nets.iter().map(|n| n.parse().expect("net")).collect(),
            header,
        }
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("ip")
    }

    #[test]
    fn forwarded_headers_count_only_from_trusted_proxies() {
        let p = policy(&["127.0.0.1", "10.0.0.0/8"], ForwardedHeader::XForwardedFor);
        let xff = headers(&[("x-forwarded-for", "6.6.6.6, 203.0.113.7, 10.0.0.2")]);
        assert_eq!(p.client_ip(ip("127.0.0.1"), &xff), ip("203.0.113.7"));
        assert_eq!(p.client_ip(ip("192.0.2.1"), &xff), ip("192.0.2.1"));
        assert_eq!(p.client_ip(ip("10.0.0.1"), &headers(&[])), ip("10.0.0.1"));
        let p = policy(&["10.0.0.0/8"], ForwardedHeader::Forwarded);
        let fwd = headers(&[("forwarded", "for=\"[2001:db8::7]:4711\";proto=https")]);
        assert_eq!(p.client_ip(ip("10.0.0.1"), &fwd), ip("2001:db8::7"));
    }

    #[test]
    fn only_the_configured_header_is_believed() {
        // What an XFF-appending proxy passes on from a client forging `Forwarded`.
        let both = headers(&[
            ("forwarded", "for=203.0.113.9"),
            ("x-forwarded-for", "198.51.100.4"),
        ]);
        let xff = policy(&["127.0.0.1"], ForwardedHeader::XForwardedFor);
        assert_eq!(xff.client_ip(ip("127.0.0.1"), &both), ip("198.51.100.4"));
        let fwd = policy(&["127.0.0.1"], ForwardedHeader::Forwarded);
        assert_eq!(fwd.client_ip(ip("127.0.0.1"), &both), ip("203.0.113.9"));
        let only_xff = headers(&[("x-forwarded-for", "198.51.100.4")]);
        assert_eq!(fwd.client_ip(ip("127.0.0.1"), &only_xff), ip("127.0.0.1"));
        assert_eq!(
            ForwardedHeader::parse("Forwarded"),
            Some(ForwardedHeader::Forwarded)
        );
        assert_eq!(ForwardedHeader::parse("x-real-ip"), None);
    }
}
