use super::*;
use crate::attr;

fn sample() -> Packet {
    let mut packet = Packet::new(Code::AccessRequest, 42, [9; 16]);
    packet.add(attr::USER_NAME, "alice");
    packet.add(attr::PROXY_STATE, [1u8, 2]);
    packet.add(attr::STATE, Vec::new());
    packet.add(attr::PROXY_STATE, [3u8]);
    packet
}

#[test]
fn encodes_header_and_attributes() {
    let bytes = sample().encode().unwrap();
    let mut expected = vec![1, 42, 0, 36];
    expected.extend_from_slice(&[9; 16]);
    expected.extend_from_slice(&[1, 7, b'a', b'l', b'i', b'c', b'e']);
    expected.extend_from_slice(&[33, 4, 1, 2, 24, 2, 33, 3, 3]);
    assert_eq!(bytes, expected);
    assert_eq!(sample().encoded_len(), Ok(36));
    assert_eq!(Packet::decode(&bytes), Ok(sample()));
}

#[test]
fn accessors_find_attributes_in_order() {
    let packet = sample();
    assert_eq!(packet.attr(attr::USER_NAME), Some(b"alice".as_slice()));
    assert_eq!(packet.text(attr::USER_NAME).as_deref(), Some("alice"));
    assert_eq!(packet.attr(attr::STATE), Some(b"".as_slice()));
    assert_eq!(packet.attr(attr::CLASS), None);
    assert_eq!(packet.text(attr::CLASS), None);
    let proxy: Vec<&[u8]> = packet.attrs(attr::PROXY_STATE).collect();
    assert_eq!(proxy, vec![&[1u8, 2][..], &[3u8][..]]);
}

#[test]
fn text_replaces_invalid_utf8() {
    let mut packet = Packet::new(Code::AccessAccept, 0, [0; 16]);
    packet.add(attr::REPLY_MESSAGE, [b'o', b'k', 0xff]);
    assert_eq!(
        packet.text(attr::REPLY_MESSAGE).as_deref(),
        Some("ok\u{fffd}")
    );
}

#[test]
fn remove_drops_every_attribute_of_a_type() {
    let mut packet = sample();
    packet.remove(attr::PROXY_STATE);
    assert_eq!(packet.attrs(attr::PROXY_STATE).count(), 0);
    assert_eq!(packet.attributes.len(), 2);
}

#[test]
fn trailing_bytes_after_length_are_ignored() {
    let mut bytes = sample().encode().unwrap();
    bytes.extend_from_slice(&[0xde, 0xad, 0x00, 0x01]);
    assert_eq!(Packet::decode(&bytes), Ok(sample()));
}

#[test]
fn value_of_253_bytes_encodes_254_does_not() {
    let mut packet = Packet::new(Code::AccessAccept, 1, [0; 16]);
    packet.add(attr::CLASS, vec![7; MAX_VALUE_LEN]);
    let bytes = packet.encode().unwrap();
    assert_eq!(bytes.len(), HEADER_LEN + 255);
    assert_eq!(bytes[21], 255);
    assert_eq!(Packet::decode(&bytes), Ok(packet.clone()));

    packet.add(attr::CLASS, vec![7; MAX_VALUE_LEN + 1]);
    assert_eq!(
        packet.encode(),
        Err(PacketError::ValueTooLong { typ: 25, len: 254 })
    );
}

#[test]
fn packet_of_4096_bytes_encodes_4097_does_not() {
    let mut packet = Packet::new(Code::AccessAccept, 1, [0; 16]);
    // 16 attributes of 255 bytes: 20 + 4080 = 4100 is too long, so use 15
    // of 255 plus one of 251 to land exactly on 4096.
    for _ in 0..15 {
        packet.add(attr::CLASS, vec![1; MAX_VALUE_LEN]);
    }
    packet.add(attr::CLASS, vec![1; 249]);
    assert_eq!(packet.encoded_len(), Ok(MAX_PACKET_LEN));
    let bytes = packet.encode().unwrap();
    assert_eq!(&bytes[2..4], &[0x10, 0x00]);
    assert_eq!(Packet::decode(&bytes), Ok(packet.clone()));

    packet.add(attr::STATE, Vec::new());
    assert_eq!(
        packet.encode(),
        Err(PacketError::PacketTooLong { len: 4098 })
    );
}

#[test]
fn attribute_type_zero_is_refused_both_ways() {
    let mut packet = Packet::new(Code::AccessRequest, 1, [0; 16]);
    packet.add(attr::USER_NAME, "a");
    packet.add(0, "x");
    assert_eq!(
        packet.encode(),
        Err(PacketError::AttributeTypeZero { offset: 23 })
    );
    let mut bytes = vec![1, 1, 0, 23];
    bytes.extend_from_slice(&[0; 16]);
    bytes.extend_from_slice(&[0, 3, b'x']);
    assert_eq!(
        Packet::decode(&bytes),
        Err(PacketError::AttributeTypeZero { offset: 20 })
    );
}

#[test]
fn other_codes_are_kept() {
    let packet = Packet::new(Code::Other(43), 5, [1; 16]);
    let bytes = packet.encode().unwrap();
    assert_eq!(bytes[0], 43);
    assert_eq!(Packet::decode(&bytes).unwrap().code, Code::Other(43));
}
