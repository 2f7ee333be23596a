//! Which push endpoints may be posted to. A subscription's endpoint is a
//! URL the device chose; posting to it from the server must not reach the
//! server's own network (a blind SSRF on every push): addresses that are
//! private, loopback, link-local or otherwise not public are refused unless
//! `web_push.allowed_networks` lists them. Literal addresses are checked
//! at subscription and before each post; names are checked after they are
//! resolved, by the sender (`crates/server/src/webpush/`), so a name that
//! later resolves inward is caught too.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::model::net::{canonical, IpNet};

/// An address that is not on the public internet: loopback, private
/// (RFC 1918, unique local), link-local, shared (CGNAT), unspecified,
/// multicast, broadcast or reserved.
pub fn is_internal(ip: IpAddr) -> bool {
    match canonical(ip) {
        IpAddr::V4(v4) => internal_v4(v4),
        IpAddr::V6(v6) => internal_v6(v6),
    }
}

fn internal_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || a == 0
        || a >= 240
        || (a == 100 && (64..128).contains(&b))
        || (a == 192 && b == 0 && ip.octets()[2] == 0)
}

fn internal_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    // NAT64 (64:ff9b::/96) reaches the IPv4 address in its last 32 bits.
    let nat64 = ip.segments()[..6] == [0x64, 0xff9b, 0, 0, 0, 0];
    let embedded = Ipv4Addr::from(u32::try_from(u128::from(ip) & 0xffff_ffff).unwrap_or(0));
    ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00
        || (first & 0xffc0) == 0xfe80
        || (first & 0xffc0) == 0xfec0
        || (nat64 && internal_v4(embedded))
}

/// Whether a post may go to `ip`: public, or inside an allowed network.
pub fn address_allowed(ip: IpAddr, allowed: &[IpNet]) -> bool {
    !is_internal(ip) || allowed.iter().any(|net| net.contains(ip))
}

/// The host of an endpoint's authority (`[::1]:8443` -> `::1`), when it is
/// a literal address.
pub fn literal_address(authority: &str) -> Option<IpAddr> {
    let host_port = authority.rsplit('@').next().unwrap_or(authority);
    if let Some(rest) = host_port.strip_prefix('[') {
        return rest.split(']').next()?.parse().ok();
    }
    let host = host_port.split(':').next().unwrap_or(host_port);
    host.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("ip")
    }

    #[test]
    fn inward_addresses_are_internal() {
        for inward in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a9fe:a9fe",
        ] {
            assert!(is_internal(ip(inward)), "{inward}");
        }
        for public in [
            "203.0.113.9",
            "8.8.8.8",
            "2001:4860:4860::8888",
            "64:ff9b::808:808",
        ] {
            assert!(!is_internal(ip(public)), "{public}");
        }
    }

    #[test]
    fn allowed_networks_let_inward_addresses_through() {
        let allowed: Vec<IpNet> = vec!["127.0.0.0/8".parse().expect("net")];
        assert!(address_allowed(ip("127.0.0.1"), &allowed));
        assert!(!address_allowed(ip("10.0.0.1"), &allowed));
        assert!(address_allowed(ip("203.0.113.9"), &[]));
        assert!(!address_allowed(ip("::1"), &[]));
    }

    #[test]
    fn literal_addresses_are_found_in_authorities() {
        assert_eq!(literal_address("127.0.0.1:8443"), Some(ip("127.0.0.1")));
        assert_eq!(literal_address("[::1]:8443"), Some(ip("::1")));
        assert_eq!(literal_address("user@10.0.0.1"), Some(ip("10.0.0.1")));
        assert_eq!(literal_address("fcm.googleapis.com"), None);
        assert_eq!(literal_address("localhost:80"), None);
    }
}
