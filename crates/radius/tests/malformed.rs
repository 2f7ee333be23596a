//! A corpus of malformed packets: every one is an error (never a panic),
//! with the error that names what is wrong, and every verification
//! function refuses it.

mod common;

use common::{hex, RFC_SECRET};
use countersign_radius::{
    unhide_password, verify_accounting_request_authenticator, verify_request_message_authenticator,
    verify_response, MessageAuth, Packet, PacketError,
};

/// A header with this Length field, followed by `body`.
fn packet(length: u16, body: &[u8]) -> Vec<u8> {
    let mut bytes = vec![1, 7];
    bytes.extend_from_slice(&length.to_be_bytes());
    bytes.extend_from_slice(&[0x5a; 16]);
    bytes.extend_from_slice(body);
    bytes
}

/// A header whose Length field is right for `body`.
fn sized(body: &[u8]) -> Vec<u8> {
    packet(20 + body.len() as u16, body)
}

fn corpus() -> Vec<(&'static str, Vec<u8>, PacketError)> {
    use PacketError::*;
    vec![
        ("empty", vec![], TooShort { len: 0 }),
        ("one byte", vec![1], TooShort { len: 1 }),
        (
            "header cut",
            packet(20, &[])[..19].to_vec(),
            TooShort { len: 19 },
        ),
        ("length 0", packet(0, &[]), LengthTooSmall { length: 0 }),
        ("length 19", packet(19, &[]), LengthTooSmall { length: 19 }),
        (
            "length lies",
            packet(30, &[1, 3, b'a']),
            Truncated {
                length: 30,
                received: 23,
            },
        ),
        (
            "length 4097",
            packet(4097, &[0; 4077]),
            LengthTooLarge { length: 4097 },
        ),
        (
            "over 4096",
            packet(5000, &[1; 4980]),
            LengthTooLarge { length: 5000 },
        ),
        (
            "huge",
            packet(u16::MAX, &vec![0x41; 100_000]),
            LengthTooLarge { length: 65535 },
        ),
        (
            "attribute length 0",
            sized(&[1, 0, b'a']),
            AttributeLengthTooSmall {
                typ: 1,
                offset: 20,
                length: 0,
            },
        ),
        (
            "attribute length 1",
            sized(&[1, 1, b'a']),
            AttributeLengthTooSmall {
                typ: 1,
                offset: 20,
                length: 1,
            },
        ),
        (
            "second attribute length 1",
            sized(&[1, 3, b'a', 18, 1]),
            AttributeLengthTooSmall {
                typ: 18,
                offset: 23,
                length: 1,
            },
        ),
        (
            "attribute overruns",
            sized(&[1, 6, b'a', b'b']),
            AttributeOverrun {
                typ: 1,
                offset: 20,
                length: 6,
                remaining: 4,
            },
        ),
        (
            "attribute overruns length, not datagram",
            packet(24, &[1, 6, b'a', b'b', b'c', b'd']),
            AttributeOverrun {
                typ: 1,
                offset: 20,
                length: 6,
                remaining: 4,
            },
        ),
        (
            "attribute header cut",
            sized(&[1, 3, b'a', 18]),
            AttributeHeaderTruncated { offset: 23 },
        ),
        (
            "attribute type 0",
            sized(&[0, 3, b'a']),
            AttributeTypeZero { offset: 20 },
        ),
        (
            "attribute 255 long",
            sized(&[26, 255, 0, 0]),
            AttributeOverrun {
                typ: 26,
                offset: 20,
                length: 255,
                remaining: 4,
            },
        ),
    ]
}

#[test]
fn every_malformed_packet_is_an_error_naming_the_problem() {
    for (name, bytes, expected) in corpus() {
        assert_eq!(Packet::decode(&bytes), Err(expected), "{name}");
    }
}

#[test]
fn verification_refuses_malformed_packets() {
    for (name, bytes, _) in corpus() {
        assert_eq!(
            verify_request_message_authenticator(&bytes, RFC_SECRET),
            MessageAuth::Invalid,
            "{name}"
        );
        assert!(
            !verify_accounting_request_authenticator(&bytes, RFC_SECRET),
            "{name}"
        );
        assert!(
            verify_response(&bytes, &[0; 16], RFC_SECRET).is_err(),
            "{name}"
        );
        let _ = unhide_password(&bytes, RFC_SECRET, &[0; 16]);
    }
}

#[test]
fn error_messages_say_what_is_wrong() {
    let error = Packet::decode(&sized(&[1, 1, b'a'])).unwrap_err();
    assert_eq!(
        error.to_string(),
        "RADIUS attribute 1 at offset 20 has length 1; the minimum is 2 (type and length bytes)"
    );
    let error = Packet::decode(&packet(30, &[])).unwrap_err();
    assert_eq!(
        error.to_string(),
        "RADIUS packet truncated: the Length field says 30 bytes but only 20 were received"
    );
}

/// Every prefix of a valid packet, and every value of its Length field:
/// errors or (for the lengths that land on an attribute boundary) a
/// shorter valid packet, never a panic.
#[test]
fn every_truncation_and_length_of_a_valid_packet() {
    let valid = hex(
        "01 00 00 38 0f 40 3f 94 73 97 80 57 bd 83 d5 cb 98 f4 22 7a 01 06 6e 65 6d 6f 02 12
         0d be 70 8d 93 d4 13 ce 31 96 e4 3f 78 2a 0a ee 04 06 c0 a8 01 10 05 06 00 00 00 03",
    );
    for len in 0..valid.len() {
        assert!(Packet::decode(&valid[..len]).is_err(), "prefix {len}");
    }
    let boundaries = [20usize, 26, 44, 50, 56];
    for length in 0..=u16::MAX {
        let mut bytes = valid.clone();
        bytes[2..4].copy_from_slice(&length.to_be_bytes());
        let decoded = Packet::decode(&bytes);
        let at_boundary = boundaries.contains(&usize::from(length));
        assert_eq!(decoded.is_ok(), at_boundary, "length {length}");
        if let Ok(packet) = decoded {
            assert_eq!(packet.encode().unwrap(), &bytes[..usize::from(length)][..]);
        }
    }
}
