//! The examples of RFC 2865 section 7, secret "xyzzy5461".

mod common;

use common::{hex, RFC_SECRET};
use countersign_radius::{
    attr, encode_response, response_authenticator, unhide_password, verify_response, Attribute,
    Code, Packet, PacketError,
};

/// Section 7.1: nemo, password "arctangent", from NAS 192.168.1.16 port 3.
const ACCESS_REQUEST: &str = "
    01 00 00 38 0f 40 3f 94 73 97 80 57 bd 83 d5 cb
    98 f4 22 7a 01 06 6e 65 6d 6f 02 12 0d be 70 8d
    93 d4 13 ce 31 96 e4 3f 78 2a 0a ee 04 06 c0 a8
    01 10 05 06 00 00 00 03";

/// Section 7.1: Access-Accept, Service-Type Login-User, Login-Service
/// Telnet, Login-IP-Host 192.168.1.3.
const ACCESS_ACCEPT: &str = "
    02 00 00 26 86 fe 22 0e 76 24 ba 2a 10 05 f6 bf
    9b 55 e0 b2 06 06 00 00 00 01 0f 06 00 00 00 00
    0e 06 c0 a8 01 03";

/// Section 7.2: flopsy with CHAP, Service-Type Framed-User, PPP.
const CHAP_REQUEST: &str = "
    01 01 00 47 2a ee 86 f0 8d 0d 55 96 9c a5 97 8e
    0d 33 67 a2 01 08 66 6c 6f 70 73 79 03 13 16 e9
    75 57 c3 16 18 58 95 f2 93 ff 63 44 07 72 75 04
    06 c0 a8 01 10 05 06 00 00 00 14 06 06 00 00 00
    02 07 06 00 00 00 01";

/// The section 7.1 answer as [`encode_response`] builds it (with a
/// Message-Authenticator first), computed independently with Python's
/// hmac and hashlib modules.
const SIGNED_ACCEPT: &str = "
    02 00 00 38 c1 3e 8f 5e 21 42 6d f8 a8 ff fc c5
    56 9c e9 fc 50 12 04 12 13 86 28 01 30 d5 ef 8e
    d8 07 2b a8 05 8d 06 06 00 00 00 01 0f 06 00 00
    00 00 0e 06 c0 a8 01 03";

fn accept_attributes() -> Vec<Attribute> {
    vec![
        Attribute::new(attr::SERVICE_TYPE, [0u8, 0, 0, 1]),
        Attribute::new(attr::LOGIN_SERVICE, [0u8, 0, 0, 0]),
        Attribute::new(attr::LOGIN_IP_HOST, [192u8, 168, 1, 3]),
    ]
}

#[test]
fn decodes_the_access_request() {
    let raw = hex(ACCESS_REQUEST);
    let request = Packet::decode(&raw).unwrap();
    assert_eq!(request.code, Code::AccessRequest);
    assert_eq!(request.identifier, 0);
    assert_eq!(request.text(attr::USER_NAME).as_deref(), Some("nemo"));
    assert_eq!(
        request.attr(attr::NAS_IP_ADDRESS),
        Some(&[192u8, 168, 1, 16][..])
    );
    assert_eq!(request.attr(attr::NAS_PORT), Some(&[0u8, 0, 0, 3][..]));
    assert_eq!(request.attributes.len(), 4);
    assert_eq!(request.encode().unwrap(), raw);
}

#[test]
fn unhides_arctangent() {
    let request = Packet::decode(&hex(ACCESS_REQUEST)).unwrap();
    let hidden = request.attr(attr::USER_PASSWORD).unwrap();
    assert_eq!(hidden.len(), 16);
    let password = unhide_password(hidden, RFC_SECRET, &request.authenticator).unwrap();
    assert_eq!(password, b"arctangent");
}

#[test]
fn response_authenticator_matches_the_access_accept() {
    let request = Packet::decode(&hex(ACCESS_REQUEST)).unwrap();
    let raw_accept = hex(ACCESS_ACCEPT);
    let accept = Packet::decode(&raw_accept).unwrap();
    assert_eq!(accept.code, Code::AccessAccept);
    assert_eq!(accept.attributes, accept_attributes());

    let computed = response_authenticator(&raw_accept, &request.authenticator, RFC_SECRET);
    assert_eq!(computed, accept.authenticator);

    // Rebuilt from scratch, with a zero authenticator field.
    let mut rebuilt = Packet::new(Code::AccessAccept, 0, [0; 16]);
    rebuilt.attributes = accept_attributes();
    let bytes = rebuilt.encode().unwrap();
    assert_eq!(
        response_authenticator(&bytes, &request.authenticator, RFC_SECRET),
        accept.authenticator
    );
}

#[test]
fn verify_response_accepts_the_rfc_answer_without_message_authenticator() {
    let request = Packet::decode(&hex(ACCESS_REQUEST)).unwrap();
    let accept = verify_response(&hex(ACCESS_ACCEPT), &request.authenticator, RFC_SECRET).unwrap();
    assert_eq!(accept.attr(attr::MESSAGE_AUTHENTICATOR), None);
    assert_eq!(
        verify_response(&hex(ACCESS_ACCEPT), &request.authenticator, b"xyzzy5462"),
        Err(PacketError::BadResponseAuthenticator)
    );
}

#[test]
fn encode_response_matches_an_independent_implementation() {
    let request = Packet::decode(&hex(ACCESS_REQUEST)).unwrap();
    let signed = encode_response(
        Code::AccessAccept,
        &request,
        accept_attributes(),
        RFC_SECRET,
    )
    .unwrap();
    assert_eq!(signed, hex(SIGNED_ACCEPT));
    let verified = verify_response(&signed, &request.authenticator, RFC_SECRET).unwrap();
    assert_eq!(verified.attributes[0].typ, attr::MESSAGE_AUTHENTICATOR);
    assert_eq!(&verified.attributes[1..], &accept_attributes()[..]);
}

#[test]
fn decodes_the_chap_request() {
    let raw = hex(CHAP_REQUEST);
    let request = Packet::decode(&raw).unwrap();
    assert_eq!(request.identifier, 1);
    assert_eq!(request.text(attr::USER_NAME).as_deref(), Some("flopsy"));
    let chap = request.attr(attr::CHAP_PASSWORD).unwrap();
    assert_eq!(chap.len(), 17, "CHAP ident + 16-byte response");
    assert_eq!(request.attr(attr::SERVICE_TYPE), Some(&[0u8, 0, 0, 2][..]));
    assert_eq!(
        request.attr(attr::FRAMED_PROTOCOL),
        Some(&[0u8, 0, 0, 1][..])
    );
    assert_eq!(request.encode().unwrap(), raw);
}
