//! A client request, the server's answer and the client's check of it,
//! built and verified with this crate's own functions.

use countersign_radius::{
    attr, encode_access_request, encode_access_request_with_authenticator, encode_response,
    unhide_password, verify_request_message_authenticator, verify_response, Attribute, Code,
    MessageAuth, Packet, PacketError,
};

const SECRET: &[u8] = b"s3cret-shared-with-the-vpn";

fn request_with_proxy_states() -> (Vec<u8>, [u8; 16]) {
    let attributes = vec![
        Attribute::new(attr::USER_NAME, "alice"),
        Attribute::new(attr::PROXY_STATE, "first"),
        Attribute::new(attr::NAS_IDENTIFIER, "vpn-1"),
        Attribute::new(attr::PROXY_STATE, "second"),
    ];
    encode_access_request(17, attributes, Some(b"123456"), SECRET).unwrap()
}

#[test]
fn access_request_is_signed_and_hides_the_password() {
    let (raw, authenticator) = request_with_proxy_states();
    assert_eq!(
        verify_request_message_authenticator(&raw, SECRET),
        MessageAuth::Valid
    );
    assert_eq!(
        verify_request_message_authenticator(&raw, b"wrong"),
        MessageAuth::Invalid
    );
    let request = Packet::decode(&raw).unwrap();
    assert_eq!(request.code, Code::AccessRequest);
    assert_eq!(request.identifier, 17);
    assert_eq!(request.authenticator, authenticator);
    assert_eq!(request.attributes[0].typ, attr::MESSAGE_AUTHENTICATOR);
    let hidden = request.attr(attr::USER_PASSWORD).unwrap();
    assert_ne!(hidden, b"123456");
    assert_eq!(
        unhide_password(hidden, SECRET, &authenticator).unwrap(),
        b"123456"
    );
}

#[test]
fn request_authenticators_are_random() {
    let (_, first) = encode_access_request(1, Vec::new(), None, SECRET).unwrap();
    let (_, second) = encode_access_request(1, Vec::new(), None, SECRET).unwrap();
    assert_ne!(first, second);
}

#[test]
fn caller_message_authenticator_and_password_are_replaced() {
    let attributes = vec![
        Attribute::new(attr::MESSAGE_AUTHENTICATOR, [1u8; 16]),
        Attribute::new(attr::USER_PASSWORD, "plain"),
        Attribute::new(attr::USER_NAME, "bob"),
    ];
    let raw =
        encode_access_request_with_authenticator(2, &[4; 16], attributes, Some(b"pw"), SECRET)
            .unwrap();
    let request = Packet::decode(&raw).unwrap();
    let types: Vec<u8> = request.attributes.iter().map(|a| a.typ).collect();
    assert_eq!(
        types,
        vec![
            attr::MESSAGE_AUTHENTICATOR,
            attr::USER_NAME,
            attr::USER_PASSWORD
        ]
    );
    assert_eq!(
        verify_request_message_authenticator(&raw, SECRET),
        MessageAuth::Valid
    );
}

#[test]
fn response_echoes_proxy_states_in_order_and_verifies() {
    let (raw, authenticator) = request_with_proxy_states();
    let request = Packet::decode(&raw).unwrap();
    let reply = vec![
        Attribute::new(attr::REPLY_MESSAGE, "Enter the code from your app"),
        Attribute::new(attr::STATE, [0xaau8; 12]),
        Attribute::new(attr::PROXY_STATE, "from-upstream"),
        Attribute::new(attr::MESSAGE_AUTHENTICATOR, [9u8; 16]),
    ];
    let raw_response = encode_response(Code::AccessChallenge, &request, reply, SECRET).unwrap();

    let response = verify_response(&raw_response, &authenticator, SECRET).unwrap();
    assert_eq!(response.code, Code::AccessChallenge);
    assert_eq!(response.identifier, 17);
    let types: Vec<u8> = response.attributes.iter().map(|a| a.typ).collect();
    assert_eq!(
        types,
        vec![
            attr::MESSAGE_AUTHENTICATOR,
            attr::REPLY_MESSAGE,
            attr::STATE,
            attr::PROXY_STATE,
            attr::PROXY_STATE
        ]
    );
    let proxy: Vec<&[u8]> = response.attrs(attr::PROXY_STATE).collect();
    assert_eq!(proxy, vec![&b"first"[..], &b"second"[..]]);
}

#[test]
fn tampered_or_misdirected_responses_are_rejected() {
    let (raw, authenticator) = request_with_proxy_states();
    let request = Packet::decode(&raw).unwrap();
    let reply = vec![Attribute::new(attr::REPLY_MESSAGE, "Welcome")];
    let good = encode_response(Code::AccessAccept, &request, reply, SECRET).unwrap();

    assert_eq!(
        verify_response(&good, &authenticator, b"other secret"),
        Err(PacketError::BadMessageAuthenticator)
    );
    assert_eq!(
        verify_response(&good, &[0; 16], SECRET),
        Err(PacketError::BadMessageAuthenticator)
    );
    // Accept turned into Reject (the BlastRADIUS kind of forgery), or any
    // other changed byte outside the Length field.
    for index in (0..good.len()).filter(|i| !(2..4).contains(i)) {
        let mut tampered = good.clone();
        tampered[index] ^= 0x01;
        assert!(
            verify_response(&tampered, &authenticator, SECRET).is_err(),
            "byte {index} changed but the response verified"
        );
    }
}

#[test]
fn response_authenticator_is_checked_even_with_a_good_message_authenticator() {
    let (raw, authenticator) = request_with_proxy_states();
    let request = Packet::decode(&raw).unwrap();
    let mut good = encode_response(Code::AccessReject, &request, Vec::new(), SECRET).unwrap();
    good[4] ^= 0x80;
    assert_eq!(
        verify_response(&good, &authenticator, SECRET),
        Err(PacketError::BadResponseAuthenticator)
    );
}

#[test]
fn empty_secret_is_refused() {
    let request = Packet::new(Code::AccessRequest, 1, [0; 16]);
    assert_eq!(
        encode_response(Code::AccessAccept, &request, Vec::new(), b""),
        Err(PacketError::EmptySecret)
    );
    assert_eq!(
        encode_access_request(1, Vec::new(), None, b""),
        Err(PacketError::EmptySecret)
    );
    assert_eq!(
        verify_response(&[0; 20], &[0; 16], b""),
        Err(PacketError::EmptySecret)
    );
}

#[test]
fn oversized_responses_are_refused() {
    let request = Packet::new(Code::AccessRequest, 1, [0; 16]);
    let too_many = vec![Attribute::new(attr::CLASS, vec![0u8; 253]); 17];
    assert!(matches!(
        encode_response(Code::AccessAccept, &request, too_many, SECRET),
        Err(PacketError::PacketTooLong { .. })
    ));
    let too_long = vec![Attribute::new(attr::REPLY_MESSAGE, vec![b'x'; 254])];
    assert_eq!(
        encode_response(Code::AccessAccept, &request, too_long, SECRET),
        Err(PacketError::ValueTooLong { typ: 18, len: 254 })
    );
}
