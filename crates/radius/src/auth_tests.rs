use super::*;

const SECRET: &[u8] = b"xyzzy5461";

/// The RFC 2865 section 7.1 Request Authenticator, with a
/// Message-Authenticator and User-Name "nemo"; the value was computed
/// independently (Python's hmac module).
const REQUEST_WITH_MA: &str =
    "0100002c0f403f9473978057bd83d5cb98f4227a5012a287e72ef53f2a9d242faf8a149df3ed01066e656d6f";

fn hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn verifies_an_independently_computed_message_authenticator() {
    let raw = hex(REQUEST_WITH_MA);
    assert_eq!(
        verify_request_message_authenticator(&raw, SECRET),
        MessageAuth::Valid
    );
    assert_eq!(
        verify_request_message_authenticator(&raw, b"xyzzy5462"),
        MessageAuth::Invalid
    );
}

#[test]
fn any_flipped_bit_makes_it_invalid() {
    let raw = hex(REQUEST_WITH_MA);
    for index in 0..raw.len() {
        // Bytes 2..4 are the Length: flipping them makes the packet
        // malformed, which is also Invalid.
        let mut tampered = raw.clone();
        tampered[index] ^= 0x01;
        let outcome = verify_request_message_authenticator(&tampered, SECRET);
        assert!(
            outcome == MessageAuth::Invalid || (index == 20 && outcome == MessageAuth::Missing),
            "byte {index}: {outcome:?}"
        );
    }
}

#[test]
fn trailing_bytes_do_not_change_the_result() {
    let mut raw = hex(REQUEST_WITH_MA);
    raw.extend_from_slice(&[0xff; 7]);
    assert_eq!(
        verify_request_message_authenticator(&raw, SECRET),
        MessageAuth::Valid
    );
}

#[test]
fn missing_malformed_and_duplicated() {
    let mut packet = Packet::new(Code::AccessRequest, 3, [5; 16]);
    packet.add(attr::USER_NAME, "nemo");
    let raw = packet.encode().unwrap();
    assert_eq!(
        verify_request_message_authenticator(&raw, SECRET),
        MessageAuth::Missing
    );

    packet.add(attr::MESSAGE_AUTHENTICATOR, [0u8; 15]);
    let raw = packet.encode().unwrap();
    assert_eq!(
        verify_request_message_authenticator(&raw, SECRET),
        MessageAuth::Invalid
    );
    assert_eq!(
        message_authenticator_offset(&packet),
        Err(PacketError::MessageAuthenticatorLength { len: 15 })
    );

    packet.remove(attr::MESSAGE_AUTHENTICATOR);
    packet.add(attr::MESSAGE_AUTHENTICATOR, [0u8; 16]);
    packet.add(attr::MESSAGE_AUTHENTICATOR, [0u8; 16]);
    assert_eq!(
        message_authenticator_offset(&packet),
        Err(PacketError::DuplicateMessageAuthenticator { count: 2 })
    );
    assert_eq!(
        verify_request_message_authenticator(&packet.encode().unwrap(), SECRET),
        MessageAuth::Invalid
    );
    assert_eq!(
        verify_request_message_authenticator(&[1, 2, 3], SECRET),
        MessageAuth::Invalid
    );
}

/// Signs `packet` (whose Message-Authenticator is last) as a client would.
fn sign_last(packet: &Packet, auth_field: &[u8; 16]) -> Vec<u8> {
    let mut raw = packet.encode().unwrap();
    let offset = message_authenticator_offset(packet).unwrap().unwrap();
    let value = compute_message_authenticator(&raw, auth_field, offset, SECRET).unwrap();
    write_16(&mut raw, offset, &value).unwrap();
    raw
}

#[test]
fn message_authenticator_anywhere_in_the_packet() {
    let mut packet = Packet::new(Code::StatusServer, 9, [0x33; 16]);
    packet.add(attr::NAS_IDENTIFIER, "vpn-1");
    packet.add(attr::MESSAGE_AUTHENTICATOR, [0u8; 16]);
    let raw = sign_last(&packet, &[0x33; 16]);
    assert_eq!(
        verify_request_message_authenticator(&raw, SECRET),
        MessageAuth::Valid
    );
}

#[test]
fn accounting_requests_use_a_zero_authenticator_field() {
    let mut packet = Packet::new(Code::AccountingRequest, 4, [0; 16]);
    packet.add(attr::ACCT_STATUS_TYPE, [0u8, 0, 0, 1]);
    packet.add(attr::MESSAGE_AUTHENTICATOR, [0u8; 16]);
    let mut raw = sign_last(&packet, &[0; 16]);
    let authenticator = response_authenticator(&raw, &[0; 16], SECRET);
    write_16(&mut raw, 4, &authenticator).unwrap();

    assert!(verify_accounting_request_authenticator(&raw, SECRET));
    assert!(!verify_accounting_request_authenticator(&raw, b"other"));
    assert_eq!(
        verify_request_message_authenticator(&raw, SECRET),
        MessageAuth::Valid
    );
    raw[25] ^= 1;
    assert!(!verify_accounting_request_authenticator(&raw, SECRET));
    assert!(!verify_accounting_request_authenticator(&raw[..10], SECRET));
}

#[test]
fn response_authenticator_of_short_input_does_not_panic() {
    for len in 0..HEADER_LEN {
        let _ = response_authenticator(&vec![1; len], &[0; 16], SECRET);
    }
}

#[test]
fn write_16_refuses_out_of_range() {
    let mut short = [0u8; 20];
    assert!(write_16(&mut short, 10, &[1; 16]).is_err());
    assert!(write_16(&mut short, usize::MAX, &[1; 16]).is_err());
    assert!(compute_message_authenticator(&short, &[0; 16], 30, SECRET).is_none());
}
