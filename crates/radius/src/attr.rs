//! Attribute types: constants and a dictionary of the standard names
//! (RFC 2865, 2866, 2867, 2868, 2869, 3162, 3579, 4372, 5176, 6911).
//!
//! Names are spelled as in FreeRADIUS's dictionaries, so log lines read the
//! same as `radclient -x` output.

use std::borrow::Cow;

pub const USER_NAME: u8 = 1;
pub const USER_PASSWORD: u8 = 2;
pub const CHAP_PASSWORD: u8 = 3;
pub const NAS_IP_ADDRESS: u8 = 4;
pub const NAS_PORT: u8 = 5;
pub const SERVICE_TYPE: u8 = 6;
pub const FRAMED_PROTOCOL: u8 = 7;
pub const FRAMED_IP_ADDRESS: u8 = 8;
pub const FRAMED_IP_NETMASK: u8 = 9;
pub const FILTER_ID: u8 = 11;
pub const FRAMED_MTU: u8 = 12;
pub const LOGIN_IP_HOST: u8 = 14;
pub const LOGIN_SERVICE: u8 = 15;
pub const REPLY_MESSAGE: u8 = 18;
pub const CALLBACK_NUMBER: u8 = 19;
pub const STATE: u8 = 24;
pub const CLASS: u8 = 25;
pub const VENDOR_SPECIFIC: u8 = 26;
pub const SESSION_TIMEOUT: u8 = 27;
pub const IDLE_TIMEOUT: u8 = 28;
pub const TERMINATION_ACTION: u8 = 29;
pub const CALLED_STATION_ID: u8 = 30;
pub const CALLING_STATION_ID: u8 = 31;
pub const NAS_IDENTIFIER: u8 = 32;
pub const PROXY_STATE: u8 = 33;
pub const ACCT_STATUS_TYPE: u8 = 40;
pub const ACCT_DELAY_TIME: u8 = 41;
pub const ACCT_SESSION_ID: u8 = 44;
pub const ACCT_AUTHENTIC: u8 = 45;
pub const ACCT_SESSION_TIME: u8 = 46;
pub const ACCT_TERMINATE_CAUSE: u8 = 49;
pub const EVENT_TIMESTAMP: u8 = 55;
pub const CHAP_CHALLENGE: u8 = 60;
pub const NAS_PORT_TYPE: u8 = 61;
pub const TUNNEL_TYPE: u8 = 64;
pub const TUNNEL_MEDIUM_TYPE: u8 = 65;
pub const TUNNEL_PRIVATE_GROUP_ID: u8 = 81;
pub const PROMPT: u8 = 76;
pub const CONNECT_INFO: u8 = 77;
pub const EAP_MESSAGE: u8 = 79;
pub const MESSAGE_AUTHENTICATOR: u8 = 80;
pub const ACCT_INTERIM_INTERVAL: u8 = 85;
pub const NAS_PORT_ID: u8 = 87;
pub const CHARGEABLE_USER_IDENTITY: u8 = 89;
pub const NAS_IPV6_ADDRESS: u8 = 95;
pub const ERROR_CAUSE: u8 = 101;

/// The standard name of an attribute type, or `None` if it is not in the
/// dictionary (unassigned, experimental or from a later RFC).
pub fn name(typ: u8) -> Option<&'static str> {
    rfc2865_name(typ)
        .or_else(|| accounting_name(typ))
        .or_else(|| extension_name(typ))
}

/// The standard name of an attribute type, or `Unknown-<type>` (for log
/// lines and error messages).
pub fn display_name(typ: u8) -> Cow<'static, str> {
    match name(typ) {
        Some(name) => Cow::Borrowed(name),
        None => Cow::Owned(format!("Unknown-{typ}")),
    }
}

/// RFC 2865.
fn rfc2865_name(typ: u8) -> Option<&'static str> {
    Some(match typ {
        1 => "User-Name",
        2 => "User-Password",
        3 => "CHAP-Password",
        4 => "NAS-IP-Address",
        5 => "NAS-Port",
        6 => "Service-Type",
        7 => "Framed-Protocol",
        8 => "Framed-IP-Address",
        9 => "Framed-IP-Netmask",
        10 => "Framed-Routing",
        11 => "Filter-Id",
        12 => "Framed-MTU",
        13 => "Framed-Compression",
        14 => "Login-IP-Host",
        15 => "Login-Service",
        16 => "Login-TCP-Port",
        18 => "Reply-Message",
        19 => "Callback-Number",
        20 => "Callback-Id",
        22 => "Framed-Route",
        23 => "Framed-IPX-Network",
        24 => "State",
        25 => "Class",
        26 => "Vendor-Specific",
        27 => "Session-Timeout",
        28 => "Idle-Timeout",
        29 => "Termination-Action",
        30 => "Called-Station-Id",
        31 => "Calling-Station-Id",
        32 => "NAS-Identifier",
        33 => "Proxy-State",
        34 => "Login-LAT-Service",
        35 => "Login-LAT-Node",
        36 => "Login-LAT-Group",
        37 => "Framed-AppleTalk-Link",
        38 => "Framed-AppleTalk-Network",
        39 => "Framed-AppleTalk-Zone",
        60 => "CHAP-Challenge",
        61 => "NAS-Port-Type",
        62 => "Port-Limit",
        63 => "Login-LAT-Port",
        _ => return None,
    })
}

/// RFC 2866 (accounting) and RFC 2867 (tunnel accounting).
fn accounting_name(typ: u8) -> Option<&'static str> {
    Some(match typ {
        40 => "Acct-Status-Type",
        41 => "Acct-Delay-Time",
        42 => "Acct-Input-Octets",
        43 => "Acct-Output-Octets",
        44 => "Acct-Session-Id",
        45 => "Acct-Authentic",
        46 => "Acct-Session-Time",
        47 => "Acct-Input-Packets",
        48 => "Acct-Output-Packets",
        49 => "Acct-Terminate-Cause",
        50 => "Acct-Multi-Session-Id",
        51 => "Acct-Link-Count",
        52 => "Acct-Input-Gigawords",
        53 => "Acct-Output-Gigawords",
        68 => "Acct-Tunnel-Connection",
        86 => "Acct-Tunnel-Packets-Lost",
        _ => return None,
    })
}

/// RFC 2868 (tunnels), 2869 (extensions), 3162 (IPv6), 3579 (EAP),
/// 4372, 5176 and 6911.
fn extension_name(typ: u8) -> Option<&'static str> {
    Some(match typ {
        55 => "Event-Timestamp",
        64 => "Tunnel-Type",
        65 => "Tunnel-Medium-Type",
        66 => "Tunnel-Client-Endpoint",
        67 => "Tunnel-Server-Endpoint",
        69 => "Tunnel-Password",
        70 => "ARAP-Password",
        71 => "ARAP-Features",
        72 => "ARAP-Zone-Access",
        73 => "ARAP-Security",
        74 => "ARAP-Security-Data",
        75 => "Password-Retry",
        76 => "Prompt",
        77 => "Connect-Info",
        78 => "Configuration-Token",
        79 => "EAP-Message",
        80 => "Message-Authenticator",
        81 => "Tunnel-Private-Group-Id",
        82 => "Tunnel-Assignment-Id",
        83 => "Tunnel-Preference",
        84 => "ARAP-Challenge-Response",
        85 => "Acct-Interim-Interval",
        87 => "NAS-Port-Id",
        88 => "Framed-Pool",
        89 => "Chargeable-User-Identity",
        90 => "Tunnel-Client-Auth-Id",
        91 => "Tunnel-Server-Auth-Id",
        95 => "NAS-IPv6-Address",
        96 => "Framed-Interface-Id",
        97 => "Framed-IPv6-Prefix",
        98 => "Login-IPv6-Host",
        99 => "Framed-IPv6-Route",
        100 => "Framed-IPv6-Pool",
        101 => "Error-Cause",
        168 => "Framed-IPv6-Address",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constants_match_their_names() {
        let pairs = [
            (USER_NAME, "User-Name"),
            (USER_PASSWORD, "User-Password"),
            (REPLY_MESSAGE, "Reply-Message"),
            (STATE, "State"),
            (VENDOR_SPECIFIC, "Vendor-Specific"),
            (PROXY_STATE, "Proxy-State"),
            (ACCT_STATUS_TYPE, "Acct-Status-Type"),
            (EAP_MESSAGE, "EAP-Message"),
            (MESSAGE_AUTHENTICATOR, "Message-Authenticator"),
            (NAS_IPV6_ADDRESS, "NAS-IPv6-Address"),
        ];
        for (typ, expected) in pairs {
            assert_eq!(name(typ), Some(expected));
        }
    }

    #[test]
    fn unknown_types_get_a_numbered_name() {
        assert_eq!(name(0), None);
        assert_eq!(name(17), None);
        assert_eq!(display_name(17), "Unknown-17");
        assert_eq!(display_name(255), "Unknown-255");
        assert_eq!(display_name(1), "User-Name");
    }
}
