//! Malformed datagrams for the listener: each one breaks a length rule of
//! RFC 2865 section 3 or 5 (header, Length field, attribute length or
//! type, size), or is not RADIUS at all.

use countersign_radius::{attr, HEADER_LEN};

/// Datagrams that no RADIUS decoder may accept, made from a valid request.
pub fn malformed_corpus(valid: &[u8]) -> Vec<(&'static str, Vec<u8>)> {
    let with_length = |bytes: &[u8], length: usize| {
        let mut bytes = bytes.to_vec();
        bytes[2..4].copy_from_slice(&(length as u16).to_be_bytes());
        bytes
    };
    let header = |body: &[u8]| {
        let mut bytes = vec![1, 77];
        bytes.extend_from_slice(&((HEADER_LEN + body.len()) as u16).to_be_bytes());
        bytes.extend_from_slice(&[0x5a; 16]);
        bytes.extend_from_slice(body);
        bytes
    };
    let huge = |size: usize| {
        let mut bytes = header(&[]);
        bytes.resize(size, 0x41);
        with_length(&bytes, size.min(usize::from(u16::MAX)))
    };
    let mut trailing = valid.to_vec();
    trailing.push(attr::REPLY_MESSAGE);
    let trailing = with_length(&trailing, trailing.len());
    vec![
        ("empty datagram", Vec::new()),
        ("one byte", vec![1]),
        ("shorter than the header", valid[..HEADER_LEN - 1].to_vec()),
        ("length field 0", with_length(valid, 0)),
        ("length field 19", with_length(valid, HEADER_LEN - 1)),
        (
            "length field beyond the datagram",
            with_length(valid, valid.len() + 10),
        ),
        (
            "length field cutting an attribute",
            with_length(valid, valid.len() - 3),
        ),
        ("attribute length 0", header(&[attr::USER_NAME, 0, b'a'])),
        ("attribute length 1", header(&[attr::USER_NAME, 1, b'a'])),
        (
            "attribute overrunning the packet",
            header(&[attr::USER_NAME, 12, b'a', b'b']),
        ),
        ("attribute type 0", header(&[0, 3, b'a'])),
        ("a lone attribute type at the end", trailing),
        ("4097-byte packet", huge(4097)),
        ("60,000-byte datagram", huge(60_000)),
        (
            "HTTP request",
            b"GET / HTTP/1.1\r\nHost: radius\r\n\r\n".to_vec(),
        ),
        ("garbage 0xff", vec![0xff; 64]),
    ]
}
